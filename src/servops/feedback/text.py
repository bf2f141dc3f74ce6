"""Comment mining for Chinese and English: language, tokens, keywords, themes, Pareto.

- **Language** per comment without network: the share of CJK characters among letters
  (≥ 30 % → ``zh``, otherwise mostly Latin letters → ``en``, else ``other``; empty →
  ``unknown``).
- **Tokens**: jieba (precise mode) for Chinese, a word regex for English; stop words and
  one-character tokens are dropped.
- **Keywords**: TF-IDF summed over comments, or TextRank (Mihalcea & Tarau 2004:
  PageRank over a co-occurrence graph, window 5, damping 0.85).
- **Themes**: by default a bilingual service taxonomy (waiting, not resolved, handoffs,
  staff attitude, communication, competence, billing, access/channels, product quality)
  matched on keywords, so theme names are stable across files and languages; a comment
  may carry several themes. ``method="nmf"`` instead discovers topics with non-negative
  matrix factorisation of TF-IDF (Lee & Seung 1999), named by their top words.
  Representative comments are those with the strongest match.

Examples
--------
>>> detect_language(["服务很好", "great service", "", "12345"])
['zh', 'en', 'unknown', 'other']
>>> tokenize("The agent was very helpful")
['agent', 'helpful']
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from servops._validation import check_choice

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pyarrow as pa

__all__ = [
    "THEMES",
    "ThemeResult",
    "detect_language",
    "keywords",
    "theme_pareto",
    "themes",
    "tokenize",
]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_EN_WORD = re.compile(r"[a-z][a-z'\-]*[a-z]|[a-z]")

EN_STOP = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "he'd",
        "he'll",
        "he's",
        "her",
        "here",
        "here's",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "how's",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "let's",
        "me",
        "more",
        "most",
        "mustn't",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "shan't",
        "she",
        "she'd",
        "she'll",
        "she's",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they'd",
        "they'll",
        "they're",
        "they've",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "wasn't",
        "we",
        "we'd",
        "we'll",
        "we're",
        "we've",
        "were",
        "weren't",
        "what",
        "what's",
        "when",
        "when's",
        "where",
        "where's",
        "which",
        "while",
        "who",
        "who's",
        "whom",
        "why",
        "why's",
        "with",
        "won't",
        "would",
        "wouldn't",
        "you",
        "you'd",
        "you'll",
        "you're",
        "you've",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "also",
        "just",
        "get",
        "got",
        "really",
        "one",
        "will",
        "would",
        "still",
        "even",
        "us",
    ]
)
ZH_STOP = frozenset(
    [
        "的",
        "了",
        "是",
        "我",
        "你",
        "他",
        "她",
        "它",
        "们",
        "我们",
        "你们",
        "他们",
        "这",
        "那",
        "这个",
        "那个",
        "就",
        "都",
        "也",
        "还",
        "又",
        "在",
        "和",
        "与",
        "及",
        "或",
        "而",
        "但",
        "但是",
        "因为",
        "所以",
        "如果",
        "虽然",
        "然后",
        "而且",
        "并且",
        "一个",
        "一些",
        "有",
        "没",
        "不",
        "很",
        "太",
        "非常",
        "比较",
        "挺",
        "吧",
        "吗",
        "呢",
        "啊",
        "呀",
        "哦",
        "嗯",
        "哈",
        "什么",
        "怎么",
        "为什么",
        "可以",
        "可能",
        "已经",
        "自己",
        "给",
        "被",
        "把",
        "让",
        "对",
        "从",
        "到",
        "向",
        "跟",
        "于",
        "上",
        "下",
        "里",
        "中",
        "时",
        "时候",
        "之后",
        "之前",
        "一下",
        "一次",
        "一直",
        "每次",
        "这次",
        "那次",
        "还是",
        "就是",
        "不是",
        "只是",
        "觉得",
        "感觉",
        "知道",
        "说",
        "要",
        "会",
        "能",
        "想",
        "去",
        "来",
        "做",
        "看",
        "用",
        "再",
        "等等",
        "以及",
        "这样",
        "那样",
        "这么",
        "那么",
        "真的",
        "其实",
        "而已",
        "一点",
        "有点",
        "这里",
        "那里",
        "之",
        "其",
        "个",
        "次",
        "些",
        "过",
        "着",
        "得",
        "地",
        "啦",
    ]
)


def _jieba() -> Any:  # noqa: ANN401 - jieba has no stubs
    import jieba

    # jieba announces its dictionary load on stderr through its own logger.
    jieba.setLogLevel(logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    return jieba


def detect_language(texts: Sequence[str | None]) -> list[str]:
    """``zh``, ``en``, ``other`` or ``unknown`` for each comment (see module doc)."""
    out = []
    for t in texts:
        s = t or ""
        cjk = len(_CJK.findall(s))
        lat = len(_LATIN.findall(s))
        if not s.strip():
            out.append("unknown")
        elif cjk and cjk >= 0.3 * (cjk + lat / 4):
            out.append("zh")
        elif lat >= 2:
            out.append("en")
        else:
            out.append("other")
    return out


def tokenize(text: str | None, *, lang: str | None = None) -> list[str]:
    """Content words of one comment: jieba for Chinese runs, words for English.

    Mixed comments are handled run by run. ``lang`` is accepted for symmetry and ignored
    (each run is tokenized by its own script).

    Examples
    --------
    >>> tokenize("客服态度很差，等了三个小时")
    ['客服', '态度', '很差', '三个', '小时']
    """
    del lang
    s = (text or "").lower()
    out: list[str] = []
    for run in re.split(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)", s):
        if not run:
            continue
        if _CJK.match(run):
            out.extend(w for w in _jieba().lcut(run) if len(w) > 1 and w not in ZH_STOP)
        else:
            out.extend(
                w for w in _EN_WORD.findall(run) if len(w) > 1 and w not in EN_STOP
            )
    return out


def keywords(
    texts: Sequence[str | None],
    *,
    top: int = 20,
    method: Literal["tfidf", "textrank"] = "tfidf",
) -> pa.Table:
    """The most salient words: ``keyword, score, comments`` (comments containing it).

    Examples
    --------
    >>> kw = keywords(["slow refund", "refund took weeks", "friendly agent"], top=1)
    >>> kw.column("keyword").to_pylist()
    ['refund']
    """
    import pyarrow as pa

    check_choice(method, "method", "keywords", ("tfidf", "textrank"))
    docs = [tokenize(t) for t in texts]
    df = Counter(w for d in docs for w in set(d))
    n = max(len(docs), 1)
    scores: dict[str, float] = {}
    if method == "tfidf":
        for d in docs:
            if not d:
                continue
            tf = Counter(d)
            norm = math.sqrt(
                sum((c * (1 + math.log(n / df[w]))) ** 2 for w, c in tf.items())
            )
            for w, c in tf.items():
                scores[w] = scores.get(w, 0.0) + c * (1 + math.log(n / df[w])) / norm
    else:
        scores = _textrank(docs)
    best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return pa.table(
        {
            "keyword": pa.array([w for w, _ in best], pa.string()),
            "score": pa.array([s for _, s in best], pa.float64()),
            "comments": pa.array([df[w] for w, _ in best], pa.int64()),
        }
    )


def _textrank(
    docs: list[list[str]], window: int = 5, damping: float = 0.85
) -> dict[str, float]:
    import scipy.sparse as sp

    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for d in docs:
        ids = [vocab.setdefault(w, len(vocab)) for w in d]
        for i, a in enumerate(ids):
            for b in ids[i + 1 : i + window]:
                if a != b:
                    rows += [a, b]
                    cols += [b, a]
    m = len(vocab)
    if m == 0:
        return {}
    adj = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(m, m))
    deg = np.asarray(adj.sum(axis=1)).ravel()
    deg[deg == 0] = 1.0
    trans = sp.diags(1.0 / deg) @ adj
    r = np.full(m, 1.0 / m)
    for _ in range(100):
        new = (1 - damping) / m + damping * (trans.T @ r)
        if np.abs(new - r).sum() < 1e-10:
            r = new
            break
        r = new
    inv = {i: w for w, i in vocab.items()}
    return {inv[i]: float(v) for i, v in enumerate(r)}


#: The built-in service taxonomy: theme id → (English name, Chinese name, keywords).
THEMES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "waiting": (
        "Waiting / slow",
        "等待 / 慢",
        (
            "等",
            "慢",
            "久",
            "排队",
            "拖",
            "迟迟",
            "延误",
            "延迟",
            "超时",
            "半天",
            "催",
            "wait",
            "slow",
            "long time",
            "delay",
            "late",
            "hours",
            "days",
            "weeks",
            "forever",
            "queue",
            "on hold",
            "took ages",
        ),
    ),
    "not_resolved": (
        "Not resolved / repeat",
        "未解决 / 反复",
        (
            "没解决",
            "未解决",
            "没有解决",
            "还是不行",
            "又坏",
            "反复",
            "重复",
            "再次",
            "没修好",
            "又出现",
            "第二次",
            "第三次",
            "still not",
            "unresolved",
            "not resolved",
            "not fixed",
            "didn't fix",
            "still broken",
            "again",
            "reopen",
            "same problem",
            "same issue",
            "third time",
            "second time",
        ),
    ),
    "handoffs": (
        "Handoffs / transfers",
        "转接 / 推诿",
        (
            "转接",
            "转来转去",
            "踢皮球",
            "推诿",
            "推脱",
            "换了",
            "转了",
            "部门",
            "升级",
            "transferred",
            "passed around",
            "escalat",
            "another department",
            "bounced",
            "different agent",
            "repeat my",
            "handed over",
            "reassign",
        ),
    ),
    "attitude": (
        "Staff attitude",
        "服务态度",
        (
            "态度",
            "不耐烦",
            "冷漠",
            "敷衍",
            "粗鲁",
            "骂",
            "礼貌",
            "热情",
            "耐心",
            "友好",
            "傲慢",
            "rude",
            "attitude",
            "impolite",
            "unfriendly",
            "friendly",
            "polite",
            "patient",
            "courteous",
            "arrogant",
            "kind",
        ),
    ),
    "communication": (
        "Communication / updates",
        "沟通 / 通知",
        (
            "回复",
            "通知",
            "联系",
            "回电",
            "沟通",
            "解释",
            "告知",
            "没人理",
            "不理",
            "进度",
            "reply",
            "respond",
            "response",
            "update",
            "call back",
            "callback",
            "inform",
            "explain",
            "communicat",
            "nobody",
            "no one",
            "email",
            "status",
        ),
    ),
    "competence": (
        "Competence / knowledge",
        "专业能力",
        (
            "专业",
            "不懂",
            "技术",
            "水平",
            "答非所问",
            "能力",
            "经验",
            "knowledge",
            "competent",
            "incompetent",
            "professional",
            "clueless",
            "expert",
            "skilled",
            "understand",
        ),
    ),
    "billing": (
        "Price / billing / refund",
        "价格 / 收费 / 退款",
        (
            "收费",
            "扣费",
            "费用",
            "价格",
            "贵",
            "退款",
            "账单",
            "钱",
            "赔偿",
            "charge",
            "fee",
            "bill",
            "price",
            "refund",
            "expensive",
            "cost",
            "money",
            "compensat",
            "overcharg",
        ),
    ),
    "access": (
        "Access / channels / app",
        "渠道 / 系统",
        (
            "打不通",
            "占线",
            "app",
            "网站",
            "系统",
            "登录",
            "在线",
            "人工",
            "电话",
            "客服热线",
            "phone",
            "website",
            "portal",
            "login",
            "log in",
            "chat",
            "bot",
            "online",
            "hotline",
        ),
    ),
    "quality": (
        "Product / outcome quality",
        "产品 / 结果质量",
        (
            "质量",
            "坏",
            "故障",
            "损坏",
            "破",
            "断网",
            "信号",
            "quality",
            "broken",
            "faulty",
            "damaged",
            "defect",
            "outage",
            "signal",
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class ThemeResult:
    """Themes of a set of comments.

    Attributes
    ----------
    themes
        One row per theme: ``theme, name_en, name_zh, comments, share, keywords,
        examples`` (up to three representative comments), most frequent first.
    assignments
        One row per (comment index, theme) with ``row, theme, strength``.
    """

    themes: pa.Table
    assignments: pa.Table

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "themes": self.themes.to_pylist(),
            "assignments": self.assignments.to_pylist(),
        }

    def flags(self, n_rows: int) -> dict[str, np.ndarray]:
        """Theme → boolean array over the comments."""
        out: dict[str, np.ndarray] = {}
        rows = self.assignments.column("row").to_numpy()
        ths = self.assignments.column("theme").to_pylist()
        for th in self.themes.column("theme").to_pylist():
            a = np.zeros(n_rows, dtype=bool)
            a[rows[np.array([t == th for t in ths], dtype=bool)]] = True
            out[th] = a
        return out


def themes(
    texts: Sequence[str | None],
    *,
    method: Literal["taxonomy", "nmf"] = "taxonomy",
    n_themes: int | None = None,
    examples: int = 3,
    seed: int = 0,
) -> ThemeResult:
    """Group comments into named themes (see the module doc).

    Examples
    --------
    >>> r = themes(["waited 3 hours", "等了很久", "rude agent", "great"])
    >>> r.themes.select(["theme", "comments"]).to_pylist()[:2]
    [{'theme': 'waiting', 'comments': 2}, {'theme': 'attitude', 'comments': 1}]
    """
    check_choice(method, "method", "themes", ("taxonomy", "nmf"))
    clean = [t or "" for t in texts]
    if method == "nmf":
        return _nmf_themes(clean, n_themes, examples, seed)
    lowered = [t.lower() for t in clean]
    rows: list[int] = []
    ths: list[str] = []
    strength: list[float] = []
    for i, t in enumerate(lowered):
        if not t.strip():
            continue
        for th, (_, _, kws) in THEMES.items():
            hits = sum(1 for k in kws if k in t)
            if hits:
                rows.append(i)
                ths.append(th)
                strength.append(float(hits))
    names = {k: (v[0], v[1]) for k, v in THEMES.items()}
    return _result(
        clean,
        rows,
        ths,
        strength,
        names,
        {k: list(v[2][:6]) for k, v in THEMES.items()},
        examples,
    )


def _result(
    texts: list[str],
    rows: list[int],
    ths: list[str],
    strength: list[float],
    names: dict[str, tuple[str, str]],
    kws: dict[str, list[str]],
    examples: int,
) -> ThemeResult:
    import pyarrow as pa

    n_comments = sum(1 for t in texts if t.strip())
    by: dict[str, list[tuple[float, int]]] = {}
    for r, th, s in zip(rows, ths, strength, strict=True):
        by.setdefault(th, []).append((s, r))
    order = sorted(by, key=lambda th: (-len(by[th]), th))
    theme_rows = []
    for th in order:
        ranked = sorted(by[th], key=lambda sr: (-sr[0], len(texts[sr[1]]), sr[1]))
        seen: set[str] = set()
        best = []
        for sr in ranked:
            if texts[sr[1]] not in seen:
                seen.add(texts[sr[1]])
                best.append(sr)
            if len(best) == examples:
                break
        theme_rows.append(
            {
                "theme": th,
                "name_en": names[th][0],
                "name_zh": names[th][1],
                "comments": len(by[th]),
                "share": len(by[th]) / n_comments if n_comments else 0.0,
                "keywords": kws.get(th, []),
                "examples": [texts[r] for _, r in best],
            }
        )
    schema = pa.schema(
        [
            ("theme", pa.string()),
            ("name_en", pa.string()),
            ("name_zh", pa.string()),
            ("comments", pa.int64()),
            ("share", pa.float64()),
            ("keywords", pa.list_(pa.string())),
            ("examples", pa.list_(pa.string())),
        ]
    )
    return ThemeResult(
        themes=pa.Table.from_pylist(theme_rows, schema=schema),
        assignments=pa.table(
            {
                "row": pa.array(rows, pa.int64()),
                "theme": pa.array(ths, pa.string()),
                "strength": pa.array(strength, pa.float64()),
            }
        ),
    )


def _nmf_themes(
    texts: list[str], n_themes: int | None, examples: int, seed: int
) -> ThemeResult:
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [tokenize(t) for t in texts]
    nonempty = [i for i, d in enumerate(docs) if d]
    k = n_themes or int(min(8, max(2, round(math.sqrt(len(nonempty) / 10)))))
    if len(nonempty) < k + 1:
        return _result(texts, [], [], [], {}, {}, examples)
    vec = TfidfVectorizer(analyzer=_identity, min_df=2 if len(nonempty) > 50 else 1)
    x = vec.fit_transform([docs[i] for i in nonempty])
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
    w = model.fit_transform(x)
    vocab = np.array(vec.get_feature_names_out())
    names: dict[str, tuple[str, str]] = {}
    kws: dict[str, list[str]] = {}
    for j in range(k):
        top = [str(v) for v in vocab[np.argsort(-model.components_[j])[:6]]]
        th = f"topic{j + 1}"
        label = " / ".join(top[:3])
        names[th] = (label, label)
        kws[th] = top
    best = w.argmax(axis=1)
    rows = [nonempty[i] for i in range(len(nonempty)) if w[i, best[i]] > 0]
    ths = [f"topic{best[i] + 1}" for i in range(len(nonempty)) if w[i, best[i]] > 0]
    st = [float(w[i, best[i]]) for i in range(len(nonempty)) if w[i, best[i]] > 0]
    return _result(texts, rows, ths, st, names, kws, examples)


def _identity(doc: list[str]) -> list[str]:
    return doc


def theme_pareto(result: ThemeResult, *, rows: Sequence[int] | None = None) -> pa.Table:
    """Themes by number of comments with the cumulative share (a Pareto table).

    ``rows`` restricts the count to some comments (e.g. the negative ones).

    Examples
    --------
    >>> r = themes(["slow", "slow again", "rude"])
    >>> [
    ...     (p["theme"], p["comments"], round(p["cumulative"], 2))
    ...     for p in theme_pareto(r).to_pylist()
    ... ]
    [('waiting', 2, 0.5), ('attitude', 1, 0.75), ('not_resolved', 1, 1.0)]
    """
    import pyarrow as pa

    keep = set(rows) if rows is not None else None
    counts = Counter(
        th
        for r, th in zip(
            result.assignments.column("row").to_pylist(),
            result.assignments.column("theme").to_pylist(),
            strict=True,
        )
        if keep is None or r in keep
    )
    names = {
        r["theme"]: (r["name_en"], r["name_zh"]) for r in result.themes.to_pylist()
    }
    order = sorted(counts, key=lambda th: (-counts[th], th))
    total = sum(counts.values())
    cum = np.cumsum([counts[t] for t in order]) / total if total else np.array([])
    return pa.table(
        {
            "theme": pa.array(order, pa.string()),
            "name_en": pa.array([names[t][0] for t in order], pa.string()),
            "name_zh": pa.array([names[t][1] for t in order], pa.string()),
            "comments": pa.array([counts[t] for t in order], pa.int64()),
            "cumulative": pa.array([float(c) for c in cum], pa.float64()),
        }
    )


@functools.cache
def _warm() -> None:  # pragma: no cover - optional pre-load for long-running services
    _jieba().initialize()
