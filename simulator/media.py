"""Real, tiny MP4 files written by hand (there is no ffmpeg to lean on).

The file is ISO-BMFF: `ftyp`, `moov` (one H.264 video track), `mdat` holding one IDR frame,
and optionally a trailing `free` box that pads it to a requested size. The frame is coded
with I_PCM macroblocks (raw samples, no prediction or entropy coding), which is the one
H.264 coding simple enough to emit correctly without an encoder; it shows a still colour
gradient for the whole duration. Padding is streamed, never held in memory.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterator
from dataclasses import dataclass

_TIMESCALE = 1000  # movie and media time in milliseconds
_LEVEL_IDC = 30
_PROFILE_BASELINE = 66
_CONSTRAINTS = 0xC0  # constraint_set0 + constraint_set1: plain baseline
_ZERO_CHUNK = bytes(1 << 20)


class _BitWriter:
    """MSB-first bit writer with the H.264 Exp-Golomb codes."""

    def __init__(self) -> None:
        self._out = bytearray()
        self._acc = 0
        self._nbits = 0

    def u(self, nbits: int, value: int) -> None:
        for shift in range(nbits - 1, -1, -1):
            self._acc = (self._acc << 1) | ((value >> shift) & 1)
            self._nbits += 1
            if self._nbits == 8:
                self._out.append(self._acc)
                self._acc = 0
                self._nbits = 0

    def ue(self, value: int) -> None:
        code = value + 1
        self.u(code.bit_length() - 1, 0)
        self.u(code.bit_length(), code)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def align_with_zeros(self) -> None:
        if self._nbits:
            self.u(8 - self._nbits, 0)

    def raw(self, data: bytes) -> None:
        assert self._nbits == 0, "raw bytes need byte alignment"
        self._out += data

    def rbsp_trailing_bits(self) -> bytes:
        self.u(1, 1)
        self.align_with_zeros()
        return bytes(self._out)


def _nal(nal_header: int, rbsp: bytes) -> bytes:
    """A NAL unit with emulation-prevention bytes inserted (00 00 0x -> 00 00 03 0x)."""
    out = bytearray([nal_header])
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _sps(mbs_wide: int, mbs_high: int, crop_right: int, crop_bottom: int) -> bytes:
    bits = _BitWriter()
    bits.u(8, _PROFILE_BASELINE)
    bits.u(8, _CONSTRAINTS)
    bits.u(8, _LEVEL_IDC)
    bits.ue(0)  # seq_parameter_set_id
    bits.ue(0)  # log2_max_frame_num_minus4
    bits.ue(2)  # pic_order_cnt_type: output order = decode order
    bits.ue(1)  # max_num_ref_frames
    bits.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    bits.ue(mbs_wide - 1)
    bits.ue(mbs_high - 1)
    bits.u(1, 1)  # frame_mbs_only_flag
    bits.u(1, 1)  # direct_8x8_inference_flag
    cropping = crop_right > 0 or crop_bottom > 0
    bits.u(1, int(cropping))
    if cropping:  # offsets are in units of 2 luma samples for 4:2:0 frames
        for offset in (0, crop_right // 2, 0, crop_bottom // 2):
            bits.ue(offset)
    bits.u(1, 0)  # vui_parameters_present_flag
    return _nal(0x67, bits.rbsp_trailing_bits())


def _pps() -> bytes:
    bits = _BitWriter()
    bits.ue(0)  # pic_parameter_set_id
    bits.ue(0)  # seq_parameter_set_id
    bits.u(1, 0)  # entropy_coding_mode_flag: CAVLC
    bits.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    bits.ue(0)  # num_slice_groups_minus1
    bits.ue(0)  # num_ref_idx_l0_default_active_minus1
    bits.ue(0)  # num_ref_idx_l1_default_active_minus1
    bits.u(1, 0)  # weighted_pred_flag
    bits.u(2, 0)  # weighted_bipred_idc
    bits.se(0)  # pic_init_qp_minus26
    bits.se(0)  # pic_init_qs_minus26
    bits.se(0)  # chroma_qp_index_offset
    bits.u(1, 1)  # deblocking_filter_control_present_flag
    bits.u(1, 0)  # constrained_intra_pred_flag
    bits.u(1, 0)  # redundant_pic_cnt_present_flag
    return _nal(0x68, bits.rbsp_trailing_bits())


def _idr_slice(mbs_wide: int, mbs_high: int) -> bytes:
    bits = _BitWriter()
    bits.ue(0)  # first_mb_in_slice
    bits.ue(7)  # slice_type: I (all slices of the picture)
    bits.ue(0)  # pic_parameter_set_id
    bits.u(4, 0)  # frame_num (log2_max_frame_num = 4)
    bits.ue(0)  # idr_pic_id
    bits.u(1, 0)  # no_output_of_prior_pics_flag
    bits.u(1, 0)  # long_term_reference_flag
    bits.se(0)  # slice_qp_delta
    bits.ue(1)  # disable_deblocking_filter_idc: off, nothing to smooth in raw samples
    for mby in range(mbs_high):
        for mbx in range(mbs_wide):
            bits.ue(25)  # mb_type I_PCM
            bits.align_with_zeros()
            luma = 40 + (mbx * 9 + mby * 13) % 170
            cb = 90 + (mbx * 7) % 80
            cr = 170 - (mby * 9) % 80
            bits.raw(bytes([luma]) * 256 + bytes([cb]) * 64 + bytes([cr]) * 64)
    return _nal(0x65, bits.rbsp_trailing_bits())


def _box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *payload)


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _sample_entry(width: int, height: int, sps: bytes, pps: bytes) -> bytes:
    avcc = _box(
        b"avcC",
        bytes([1, _PROFILE_BASELINE, _CONSTRAINTS, _LEVEL_IDC, 0xFF, 0xE1]),
        struct.pack(">H", len(sps)),
        sps,
        bytes([1]),
        struct.pack(">H", len(pps)),
        pps,
    )
    name = b"nemobot simulator"
    return _box(
        b"avc1",
        bytes(6),
        struct.pack(">H", 1),  # data_reference_index
        bytes(16),
        struct.pack(">HHII", width, height, 0x480000, 0x480000),
        bytes(4),
        struct.pack(">H", 1),  # frame_count
        bytes([len(name)]) + name.ljust(31, b"\0"),
        struct.pack(">Hh", 0x18, -1),
        avcc,
    )


def _moov(width: int, height: int, duration_ms: int, sample_size: int, mdat_offset: int) -> bytes:
    mbs_wide, mbs_high = -(-width // 16), -(-height // 16)
    sps = _sps(mbs_wide, mbs_high, mbs_wide * 16 - width, mbs_high * 16 - height)
    stbl = _box(
        b"stbl",
        _full_box(b"stsd", 0, 0, struct.pack(">I", 1), _sample_entry(width, height, sps, _pps())),
        _full_box(b"stts", 0, 0, struct.pack(">III", 1, 1, duration_ms)),
        _full_box(b"stss", 0, 0, struct.pack(">II", 1, 1)),
        _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, 1, 1)),
        _full_box(b"stsz", 0, 0, struct.pack(">III", 0, 1, sample_size)),
        _full_box(b"stco", 0, 0, struct.pack(">II", 1, mdat_offset)),
    )
    minf = _box(
        b"minf",
        _full_box(b"vmhd", 0, 1, bytes(8)),
        _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1))),
        stbl,
    )
    mdia = _box(
        b"mdia",
        _full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, _TIMESCALE, duration_ms, 0x55C4, 0)),
        _full_box(b"hdlr", 0, 0, bytes(4), b"vide", bytes(12), b"VideoHandler\0"),
        minf,
    )
    tkhd = _full_box(
        b"tkhd",
        0,
        3,  # enabled | in movie
        struct.pack(">IIIII", 0, 0, 1, 0, duration_ms),
        bytes(8),
        struct.pack(">hhhH", 0, 0, 0, 0),
        _MATRIX,
        struct.pack(">II", width << 16, height << 16),
    )
    mvhd = _full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIIIIH", 0, 0, _TIMESCALE, duration_ms, 0x10000, 0x100),
        bytes(10),
        _MATRIX,
        bytes(24),
        struct.pack(">I", 2),  # next_track_ID
    )
    return _box(b"moov", mvhd, _box(b"trak", tkhd, mdia))


@functools.lru_cache(maxsize=32)
def _head(width: int, height: int, duration_ms: int) -> bytes:
    mbs_wide, mbs_high = -(-width // 16), -(-height // 16)
    frame = _idr_slice(mbs_wide, mbs_high)
    sample = struct.pack(">I", len(frame)) + frame  # AVC sample: 4-byte length prefix per NAL
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2avc1mp41")
    # The moov's size does not depend on the chunk offset's value, so measure it once.
    moov_size = len(_moov(width, height, duration_ms, len(sample), 0))
    mdat_offset = len(ftyp) + moov_size + 8
    moov = _moov(width, height, duration_ms, len(sample), mdat_offset)
    return ftyp + moov + _box(b"mdat", sample)


@dataclass(frozen=True, slots=True)
class Mp4File:
    """An MP4 as a short head plus `padding` bytes of `free` box, produced chunk by chunk."""

    head: bytes
    padding: int

    @property
    def size(self) -> int:
        return len(self.head) + self.padding

    def chunks(self, chunk_size: int = len(_ZERO_CHUNK)) -> Iterator[bytes]:
        yield self.head
        if self.padding == 0:
            return
        if self.padding < 1 << 32:
            header = struct.pack(">I4s", self.padding, b"free")
        else:  # 64-bit "largesize" form
            header = struct.pack(">I4sQ", 1, b"free", self.padding)
        yield header
        remaining = self.padding - len(header)
        zeros = _ZERO_CHUNK[: min(chunk_size, len(_ZERO_CHUNK))]
        while remaining > 0:
            step = min(remaining, len(zeros))
            yield zeros if step == len(zeros) else zeros[:step]
            remaining -= step


def build_mp4(width: int, height: int, duration_ms: int, pad_to: int | None = None) -> Mp4File:
    """A small still-picture MP4 of `duration_ms`, scaled down to at most 192 px on its long side."""
    scale = 192 / max(width, height, 1)
    small_w = max(16, round(width * scale / 2) * 2)
    small_h = max(16, round(height * scale / 2) * 2)
    head = _head(small_w, small_h, max(1, duration_ms))
    padding = 0
    if pad_to is not None and pad_to > len(head):
        padding = max(16, pad_to - len(head))  # a box is never shorter than its header
    return Mp4File(head, padding)
