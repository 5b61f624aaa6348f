"""Bytes to text, and the true reason when they are not text.

A BOM decides; else strict UTF-8; else a declared charset; else a confident guess.  Input
that is not text is named for what it is (binary, UTF-16 without a byte-order mark decoded
as such, undecodable with the offending byte), never with a catch-all.
"""

from __future__ import annotations

import codecs
import logging
import re

from newstrace.types import Rejected

__all__ = ["SNIFF_BYTES", "decode", "meta_charset", "normalise_newlines"]

log = logging.getLogger(__name__)

# Binary sniffing: control bytes other than whitespace, backspace, form feed and escape
# hardly occur in text in any 8-bit encoding; a tenth of the sample is not text.
SNIFF_BYTES = 8192
_MAX_CONTROL_RATIO = 0.10
# NUL bytes (at most this share of the file) in text that is otherwise valid UTF-8 are damage,
# not a sign of binary: random or compressed bytes are almost never valid UTF-8, and the formats
# that are (a tar of text files, UTF-32) are NUL for far more than a hundredth of their bytes.
_MAX_STRAY_NULS = 0.01
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (8, 9, 10, 12, 13, 27)) + b"\x7f"
# charset_normalizer's "mess" ratio; its own default cut-off is 0.2, we want sure results.
_MAX_CHAOS = 0.10
# UTF-16 without BOM: in ASCII-range text every high byte is NUL; allow a fifth of the units
# outside Latin-1 (accents, Greek, Cyrillic) and a few stray NULs on the other side.
_UTF16_ZERO_SHARE = 0.8
_UTF16_STRAY_ZEROS = 0.02

def decode(data: bytes, *, declared: str | None = None) -> str | Rejected:
    """Bytes to text: a BOM, else strict UTF-8, else a declared charset, else a confident guess.

    Strict UTF-8 goes before a declared charset because declarations are often wrong
    and legacy-encoded text almost never happens to be valid UTF-8.
    """
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                return Rejected(f"undecodable text ({encoding.upper()} byte-order mark, but {exc.reason})")
    sample = data[:SNIFF_BYTES]
    utf16 = _utf16_without_bom(sample)
    if utf16 is not None:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError as exc:
            return Rejected(f"undecodable text (looks like {utf16.upper()} without a byte-order mark, but {exc.reason} "
                            f"at byte {exc.start})")
    if sample and len(sample) - len(sample.translate(None, _CONTROL_BYTES)) > _MAX_CONTROL_RATIO * len(sample):
        return Rejected("binary file (NUL or control bytes: not text)")
    nuls = data.count(b"\x00")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    else:
        if not nuls:
            return text
        if nuls <= _MAX_STRAY_NULS * len(data):
            # Text a scraper damaged: 12 of PAN 2013's 5,057 documents hold 1 to 7 NULs (at
            # most 0.3% of their bytes).  Each becomes U+FFFD, one character for one, so every
            # offset into the text still holds.
            log.info("replaced %d stray NUL bytes in UTF-8 text", nuls)
            return text.replace("\x00", "\ufffd")
    if nuls:
        return Rejected("binary file (NUL or control bytes: not text)")
    if declared:
        try:
            return data.decode(codecs.lookup(declared).name)
        except (LookupError, UnicodeDecodeError):
            log.debug("declared charset %r does not decode the input", declared)
    guessed = _guess_charset(data)
    if guessed is not None:
        return guessed
    return Rejected(f"undecodable text (not UTF-8: invalid byte 0x{data[utf8_error.start]:02x} at offset "
                    f"{utf8_error.start}; no confident guess of another charset)")


def _utf16_without_bom(sample: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when ``sample`` is UTF-16 text of a Latin, Greek or
    Cyrillic script without a BOM: NUL as every other byte (the high byte of each unit) and
    almost never in between.  Windows tools write such files; they are text, not binary."""
    n = len(sample) // 2 * 2
    if n < 8:
        return None
    even, odd = sample[0:n:2], sample[1:n:2]
    units = n // 2
    zeros_even, zeros_odd = even.count(0), odd.count(0)
    if zeros_odd >= _UTF16_ZERO_SHARE * units and zeros_even <= _UTF16_STRAY_ZEROS * units:
        return "utf-16-le"
    if zeros_even >= _UTF16_ZERO_SHARE * units and zeros_odd <= _UTF16_STRAY_ZEROS * units:
        return "utf-16-be"
    return None


def _guess_charset(data: bytes) -> str | None:
    """The text in the charset charset_normalizer is sure of, or None.

    Sure means: a low mess ratio, and the best-scoring candidates agree on the text —
    except that among tied 8-bit Western candidates windows-1252 wins, as the WHATWG
    encoding standard makes it the web's default (charset_normalizer alone reads Spanish
    ``niño`` in windows-1250 as ``nińo``).  UTF-16/32 guesses without a BOM are refused:
    on short 8-bit input they are noise.
    """
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(data) if m.chaos <= _MAX_CHAOS
               and not m.encoding.startswith(("utf_16", "utf_32"))]
    if not matches:
        return None
    least = min(m.chaos for m in matches)
    top = [m for m in matches if m.chaos == least]
    most = max(m.coherence for m in top)
    top = [m for m in top if m.coherence == most]
    texts = {str(m) for m in top}
    if len(texts) == 1:
        log.debug("decoded as %s (charset guess)", top[0].encoding)
        return texts.pop()
    for m in top:
        if "cp1252" in m.could_be_from_charset:
            log.debug("decoded as cp1252 (charset guess, tie broken towards the web default)")
            return data.decode("cp1252")
    return None


_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def meta_charset(html: bytes) -> str | None:
    m = _META_CHARSET.search(html[:4096])
    return m.group(1).decode("ascii") if m else None


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")

