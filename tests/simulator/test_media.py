"""The hand-written MP4: a structurally valid ISO-BMFF file with a real H.264 parameter set."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from simulator.media import build_mp4

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf"}


@dataclass
class Box:
    kind: bytes
    offset: int
    size: int
    children: list[Box] = field(default_factory=list)

    def find(self, path: str) -> Box:
        box = self
        for kind in path.split("/"):
            box = next(child for child in box.children if child.kind == kind.encode())
        return box


def parse_boxes(data: bytes, start: int, end: int) -> list[Box]:
    boxes, offset = [], start
    while offset < end:
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, offset + 8)
            header = 16
        assert size >= header, f"box {kind!r} at {offset} has size {size}"
        assert offset + size <= end, f"box {kind!r} overruns its parent"
        box = Box(kind, offset, size)
        if kind in CONTAINERS:
            box.children = parse_boxes(data, offset + header, offset + size)
        elif kind == b"stsd":  # full box + entry count, then sample entries
            box.children = parse_boxes(data, offset + 16, offset + size)
        elif kind == b"avc1":  # 78 bytes of visual sample entry before its child boxes
            box.children = parse_boxes(data, offset + 86, offset + size)
        boxes.append(box)
        offset += size
    assert offset == end, "boxes must tile their parent exactly"
    return boxes


class BitReader:
    def __init__(self, data: bytes) -> None:
        self.bits = "".join(f"{byte:08b}" for byte in data)
        self.pos = 0

    def u(self, n: int) -> int:
        value = int(self.bits[self.pos : self.pos + n], 2)
        self.pos += n
        return value

    def ue(self) -> int:
        zeros = 0
        while self.bits[self.pos] == "0":
            zeros += 1
            self.pos += 1
        return self.u(zeros + 1) - 1


def test_mp4_is_ftyp_moov_mdat_and_the_box_sizes_add_up_to_the_file() -> None:
    data = b"".join(build_mp4(1920, 1080, 10_000).chunks())
    top = parse_boxes(data, 0, len(data))
    assert [box.kind for box in top] == [b"ftyp", b"moov", b"mdat"]
    assert sum(box.size for box in top) == len(data)
    assert data[8:12] == b"isom"
    moov = top[1]
    assert moov.find("trak/mdia/hdlr").kind == b"hdlr"
    assert data[moov.find("trak/mdia/hdlr").offset + 16 : moov.find("trak/mdia/hdlr").offset + 20] == b"vide"


def test_movie_duration_and_track_size_match_the_request() -> None:
    data = b"".join(build_mp4(1080, 1920, 7_500).chunks())
    moov = parse_boxes(data, 0, len(data))[1]
    mvhd = moov.find("mvhd")
    timescale, duration = struct.unpack_from(">II", data, mvhd.offset + 20)
    assert (timescale, duration) == (1000, 7_500)
    tkhd = moov.find("trak/tkhd")
    width, height = struct.unpack_from(">II", data, tkhd.offset + tkhd.size - 8)
    assert (width >> 16, height >> 16) == (108, 192)  # portrait, scaled to 192 px on the long side


def test_sample_table_points_at_one_idr_frame_filling_mdat() -> None:
    data = b"".join(build_mp4(1920, 1080, 10_000).chunks())
    top = parse_boxes(data, 0, len(data))
    stbl = top[1].find("trak/mdia/minf/stbl")
    (chunk_offset,) = struct.unpack_from(">I", data, stbl.find("stco").offset + 16)
    (sample_size,) = struct.unpack_from(">I", data, stbl.find("stsz").offset + 20)
    mdat = top[2]
    assert chunk_offset == mdat.offset + 8
    assert sample_size == mdat.size - 8
    (nal_length,) = struct.unpack_from(">I", data, chunk_offset)
    assert nal_length == sample_size - 4
    assert data[chunk_offset + 4] & 0x1F == 5  # IDR slice


def test_avc_config_carries_a_baseline_sps_describing_the_cropped_picture() -> None:
    data = b"".join(build_mp4(1920, 1080, 1_000).chunks())
    avcc = parse_boxes(data, 0, len(data))[1].find("trak/mdia/minf/stbl/stsd/avc1/avcC")
    body = data[avcc.offset + 8 : avcc.offset + avcc.size]
    assert (body[0], body[1]) == (1, 66)  # version 1, baseline profile
    (sps_length,) = struct.unpack_from(">H", body, 6)
    sps = body[8 : 8 + sps_length]
    assert sps[0] == 0x67
    bits = BitReader(sps[1:])
    assert (bits.u(8), bits.u(8), bits.u(8)) == (66, 0xC0, 30)
    assert bits.ue() == 0  # sps id
    assert bits.ue() == 0  # log2_max_frame_num_minus4
    assert bits.ue() == 2  # poc type
    assert bits.ue() == 1  # ref frames
    assert bits.u(1) == 0
    mbs_wide, mbs_high = bits.ue() + 1, bits.ue() + 1
    assert (bits.u(1), bits.u(1), bits.u(1)) == (1, 1, 1)  # frame_mbs_only, direct_8x8, cropping
    crop = [bits.ue() for _ in range(4)]
    assert (mbs_wide * 16 - 2 * (crop[0] + crop[1]), mbs_high * 16 - 2 * (crop[2] + crop[3])) == (192, 108)


def test_padding_streams_a_free_box_to_the_exact_requested_size_in_bounded_chunks() -> None:
    target = 60 * 1024 * 1024
    mp4 = build_mp4(1920, 1080, 10_000, pad_to=target)
    assert mp4.size == target
    total, largest, head = 0, 0, b""
    for chunk in mp4.chunks():
        if total < 64 * 1024:
            head += chunk[: 64 * 1024]
        total += len(chunk)
        largest = max(largest, len(chunk))
    assert total == target
    assert largest <= 1024 * 1024
    natural = len(mp4.head)
    assert head[natural + 4 : natural + 8] == b"free"
    assert struct.unpack_from(">I", head, natural)[0] == target - natural


def test_no_padding_is_added_when_the_target_is_smaller_than_the_file() -> None:
    mp4 = build_mp4(1920, 1080, 10_000, pad_to=100)
    assert mp4.padding == 0
    assert mp4.size == len(mp4.head)
