"""The corpus figures behind the rewrite signature's screens (``newstrace.stages.signature``).

    python benchmarks/calibrate_signature_screen.py [--bbc 0] [--pan 50]

* which words en_core_web_sm tags MD or marks AUX (whole pipeline but NER and the lemmatizer),
  over all of BBC News and the first ``--pan`` PAN-13 suspicious documents: ``_AUX_WORDS`` must
  hold every one of them (1.1M tokens: will, would, can, could, should, may, must, might, ca,
  'll, 'd, wo, shall, ought, ’ll as MD; forms of be/have/do and the contractions as AUX);
* the share of English function words (``STOPWORDS``) in the sentences of six words or more that
  py3langid gives another language at 0.95 or more, against the English sentences' shares:
  ``_ENGLISH_SCREEN`` must lie above the first and below most of the second.

``--bbc N`` takes the first N files of each category (0: all).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bbc", type=int, default=0, help="files per BBC category (default 0: all)")
    ap.add_argument("--pan", type=int, default=50, help="PAN-13 suspicious documents (default 50)")
    args = ap.parse_args()
    if not (DATA / "bbc-news").is_dir():
        print(f"calibrate_signature_screen: {DATA / 'bbc-news'} is missing", file=sys.stderr)
        return 2
    from newstrace.stages.changes import nlp
    from newstrace.stages.ingest import _identifier
    from newstrace.stages.signature import _AUX_WORDS, _ENGLISH_SCREEN, _MIN_FOREIGN_WORDS
    from newstrace.stages.text import STOPWORDS, split_sentences

    model = nlp()
    if model is None:
        print("calibrate_signature_screen: spaCy's en_core_web_sm is not installed", file=sys.stderr)
        return 2
    corpus = DATA / "bbc-news"
    files = [f for cat in sorted(p for p in corpus.iterdir() if p.is_dir())
             for f in sorted(cat.glob("*.txt"))[: args.bbc or None]]
    files += sorted((DATA / "pan13-train" / "susp").glob("*.txt"))[: args.pan]
    texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]

    modal: Counter[str] = Counter()
    aux: Counter[str] = Counter()
    tokens = 0
    for doc in model.pipe(texts, disable=["ner", "lemmatizer"], batch_size=16):
        tokens += len(doc)
        modal.update(t.lower_ for t in doc if t.tag_ == "MD")
        aux.update(t.lower_ for t in doc if t.pos_ == "AUX")
    print(f"{len(texts)} documents, {tokens} tokens")
    print(f"MD: {dict(modal.most_common())}")
    print(f"AUX: {dict(aux.most_common())}")
    allowed = set(_AUX_WORDS)
    missing = sorted(w for w in set(modal) | set(aux) if w.strip("'’") not in allowed and not w.startswith(("'", "’")))
    print(f"AUX/MD words the screen does not let through: {missing or 'none'}")

    ident = _identifier()
    foreign: list[float] = []
    english: list[float] = []
    for text in texts:
        for s in split_sentences(text):
            words = re.findall(r"[^\W\d_]{2,}", s.text)
            if len(words) < _MIN_FOREIGN_WORDS:
                continue
            share = sum(w.lower() in STOPWORDS for w in words) / len(words)
            lang, confidence = ident.classify(s.text)
            if lang != "en" and len(lang) == 2 and confidence >= 0.95:
                foreign.append(share)
            elif lang == "en":
                english.append(share)
    print(f"{len(foreign)} sentences in another language (>= 0.95): highest function-word share "
          f"{max(foreign, default=0.0):.3f}; {len(english)} English sentences: "
          f"{sum(x >= _ENGLISH_SCREEN for x in english) / max(1, len(english)):.3f} at or above "
          f"the screen ({_ENGLISH_SCREEN})")
    return 1 if missing or max(foreign, default=0.0) >= _ENGLISH_SCREEN else 0


if __name__ == "__main__":
    raise SystemExit(main())
