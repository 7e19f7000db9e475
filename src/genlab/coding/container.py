"""The file format of genlab's compressed files: a small header, the entropy coder's words, two checksums.

    magic (3 bytes: b"GLZ" lossless, b"GLC" lossy) | format version (1 byte)
    model fingerprint (4 bytes) | varints: image count, C, H, W | varint length + zlib'd file names (or 0)
    payload (the coder's 32-bit words) | CRC-32 of what the decoder must reproduce | CRC-32 of all before it

Reading checks, in order: the magic, the version, the file's CRC (a truncated or altered file never reaches
the decoder), then the fingerprint (a file is decoded only by the model that wrote it). The data CRC is
checked after decoding: pixels for lossless files, the quantised latents for lossy ones, so a decoder that
somehow computed other probabilities than the encoder refuses instead of writing wrong images.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from genlab.errors import UserError
from genlab.runs import RunFolder

MAGIC = {"lossless": b"GLZ", "lossy": b"GLC"}
SUFFIX = {"lossless": ".glz", "lossy": ".glc"}
VERSION = 1
FINGERPRINT_BYTES = 4
TRAILER = struct.Struct("<II")  # data CRC, file CRC


@dataclass(frozen=True)
class Container:
    kind: str  # "lossless" or "lossy"
    fingerprint: bytes
    count: int
    shape: tuple[int, int, int]  # (C, H, W) of every image
    names: tuple[str, ...]  # file names the images came from; empty for arrays
    payload: bytes
    data_crc: int


def fingerprint(run_path: Path) -> bytes:
    """4 bytes that identify a trained model: a hash of its weights and of its model and data configuration."""
    folder = RunFolder(run_path)
    config = json.loads(folder.config.read_text())["config"]
    digest = hashlib.sha256(folder.model.read_bytes())
    digest.update(json.dumps({k: config.get(k) for k in ("model", "data")}, sort_keys=True).encode())
    return digest.digest()[:FINGERPRINT_BYTES]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def pack(container: Container) -> bytes:
    names = zlib.compress("\n".join(container.names).encode(), 9) if container.names else b""
    body = b"".join([
        MAGIC[container.kind], bytes([VERSION]), container.fingerprint,
        *(_varint(v) for v in (container.count, *container.shape, len(names))), names, container.payload,
    ])
    body += struct.pack("<I", container.data_crc)
    return body + struct.pack("<I", zlib.crc32(body))


class _Reader:
    def __init__(self, data: bytes, where: str):
        self.data, self.pos, self.where = data, 0, where

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise UserError(f"{self.where} is truncated: re-create it from the original.")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def varint(self) -> int:
        value, shift = 0, 0
        while True:
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value
            if shift > 63:
                raise UserError(f"{self.where} is damaged (a header field is malformed): re-create it from the original.")


def unpack(data: bytes, where: str) -> Container:
    """Parse and verify a compressed file's bytes (not yet the fingerprint: see `check_model`)."""
    kind = next((k for k, magic in MAGIC.items() if data.startswith(magic)), None)
    if kind is None:
        raise UserError(f"{where} is not a genlab compressed file (.glz or .glc): pass a file `genlab compress` wrote.")
    if len(data) < 4 or data[3] != VERSION:
        version = data[3] if len(data) >= 4 else "?"
        raise UserError(f"{where} is in format version {version}, and this genlab reads version {VERSION}: "
                        "decompress it with the genlab version that wrote it.")
    if len(data) < 4 + FINGERPRINT_BYTES + TRAILER.size or zlib.crc32(data[:-4]) != struct.unpack("<I", data[-4:])[0]:
        raise UserError(f"{where} is damaged (checksum mismatch: truncated or altered): re-create it from the original.")
    reader = _Reader(data[: -TRAILER.size], where)
    reader.take(4)
    mark = reader.take(FINGERPRINT_BYTES)
    count, c, h, w, names_length = (reader.varint() for _ in range(5))
    names = tuple(zlib.decompress(reader.take(names_length)).decode().split("\n")) if names_length else ()
    data_crc, _ = TRAILER.unpack(data[-TRAILER.size :])
    return Container(kind, mark, count, (c, h, w), names, data[reader.pos : -TRAILER.size], data_crc)


def check_model(container: Container, marks, where: str, run: str) -> None:
    """Refuse a file whose fingerprint is none of `marks` (the fingerprints of the runs at `run`)."""
    if container.fingerprint not in marks:
        raise UserError(f"{where} was compressed with another model (fingerprint {container.fingerprint.hex()}, "
                        f"{run} has {', '.join(m.hex() for m in marks)}): decompress it with the run that compressed it.")


def check_data(container: Container, crc: int, where: str) -> None:
    if crc != container.data_crc:
        raise UserError(f"{where} decoded to different data than was encoded (data checksum mismatch): the model "
                        "computed other probabilities here than where the file was written; decompress it on a "
                        "machine like the one that wrote it.")
