"""Extract the shipped text (lstm_course/data/pride_and_prejudice.txt) from Debian's janeaustenr.

Provenance (see lstm_course/data/README.md): Debian package ``r-cran-janeaustenr`` 1.0.0-1
(the CRAN package janeaustenr by Julia Silge, MIT licence; the novels themselves are public
domain, taken by that package from Project Gutenberg). The R package keeps each novel as a
character vector of lines in a lazy-load database (data/Rdata.rdb + Rdata.rdx); this script reads
that format directly (no R needed) and keeps the opening chapters of *Pride and Prejudice*.

    apt-get download r-cran-janeaustenr && dpkg -x r-cran-janeaustenr_*.deb /tmp/ja
    python tools/extract_austen.py /tmp/ja/usr/lib/R/site-library/janeaustenr/data
"""

from __future__ import annotations

import gzip
import struct
import sys
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "lstm_course" / "data" / "pride_and_prejudice.txt"
MAX_CHARS = 200_000  # the first chapters, cut at a chapter boundary


def _ints(buf, pos, n):
    return struct.unpack(">" + "i" * n, buf[pos : pos + 4 * n])


def read_index(rdx: Path) -> dict[str, tuple[int, int]]:
    """name -> (offset, length) in Rdata.rdb, from the serialized index (XDR format)."""
    data = gzip.decompress(rdx.read_bytes())
    # The 'variables' list: INTSXP pairs (type 13, length 2, offset, length) in name order,
    # followed by its 'names' attribute, a STRSXP of the same length.
    pairs, pos = [], 0
    while True:
        pos = data.find(struct.pack(">ii", 13, 2), pos)
        if pos < 0:
            break
        pairs.append(_ints(data, pos + 8, 2))
        pos += 16
    names = read_strings(data, data.find(b"\x00\x00\x00\x05names") + 9)
    return dict(zip(names, pairs[: len(names)], strict=True))


def read_strings(data: bytes, pos: int) -> list[str]:
    """The STRSXP starting at pos (flags 16, length n, then n CHARSXPs)."""
    sexptype, n = _ints(data, pos, 2)
    assert sexptype & 0xFF == 16, sexptype
    pos += 8
    out = []
    for _ in range(n):
        _, length = _ints(data, pos, 2)
        pos += 8
        if length < 0:  # NA_character_
            out.append("")
            continue
        out.append(data[pos : pos + length].decode("utf-8"))
        pos += length
    return out


def read_object(rdb: Path, offset: int, length: int) -> list[str]:
    with rdb.open("rb") as fh:
        fh.seek(offset)
        chunk = fh.read(length)
    data = zlib.decompress(chunk[4:])  # 4-byte big-endian size, then a zlib stream
    assert data[:2] == b"X\n", "not an XDR serialization"
    # header: 'X\n', version, R version, min R version, (v3) native encoding; then the object
    version = _ints(data, 2, 1)[0]
    pos = 14
    if version == 3:
        enc_len = _ints(data, pos, 1)[0]
        pos += 4 + enc_len
    return read_strings(data, pos)


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "/tmp/ja/usr/lib/R/site-library/janeaustenr/data")
    index = read_index(folder / "Rdata.rdx")
    lines = read_object(folder / "Rdata.rdb", *index["prideprejudice"])
    text = "\n".join(lines).strip() + "\n"
    cut = text.rfind("\nChapter ", 0, MAX_CHARS)
    text = text[:cut].rstrip() + "\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text):,} characters, {len(set(text))} distinct)")


if __name__ == "__main__":
    main()
