"""The oracle of orders4: an independent reading of docs/handler.md's rules.

Written from RFC 8259 (JSON), RFC 3339 sections 5.6 (ABNF) and 5.7
(restrictions, leap seconds) and Appendix C (leap years), ISO 4217 List One
(list-one.xml, as shipped by the npm package currency-codes 2.2.0,
published 2024-06-25) with the changes since that docs/handler.md names,
SQS's allowed characters, and docs/handler.md's limits and identity rules.
It never reads the project's Go code or tables.
"""

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent

# ---------------------------------------------------------------- ISO 4217


def load_list_one(path=HERE / "list-one.xml"):
    """Code -> minor unit (int, or None for "N.A."), the funds codes, the date."""
    root = ET.parse(path).getroot()
    units, funds = {}, set()
    for e in root.iter("CcyNtry"):
        code = e.findtext("Ccy")
        if not code:
            continue  # a country with no universal currency (Antarctica)
        mu = e.findtext("CcyMnrUnts")
        units[code] = None if mu == "N.A." else int(mu)
        nm = e.find("CcyNm")
        if nm is not None and nm.get("IsFund") == "true":
            funds.add(code)
    return units, funds, root.get("Pblshd")


LIST_ONE, FUNDS, PUBLISHED = load_list_one()

# Changes after List One of 2024-06-25, as of the day the corpus is run
# (after 2026-01-31): ISO 4217 amendment 176 adds XCG (2 decimals, from
# 2025-03-31) for ANG, whose use ended 2025-06-30; Bulgaria adopted the
# euro on 2026-01-01 and BGN's dual circulation ended 2026-01-31.
ADDED = {"XCG": 2}
WITHDRAWN_SINCE = {"ANG", "BGN"}

# Codes an order can be paid in: List One's codes with a minor unit, not
# funds codes, plus the additions, less the withdrawals.
CURRENT = {c: u for c, u in LIST_ONE.items() if u is not None and c not in FUNDS and c not in WITHDRAWN_SINCE}
CURRENT.update(ADDED)

# List Three (withdrawn codes), a sample from memory: any of them is refused
# (docs: withdrawn or unknown codes are refused), so the exact dates do not
# matter for the expectation.
LIST_THREE = """ADP AFA ALK AOK AON AOR ARA ARP ATS AZM BEF BGL BYB BYR CSD CSK CYP DDM
DEM ECS EEK ESP FIM FRF GHC GRD GWP HRD HRK IEP ITL LTL LUF LVL MGF MRO MTL MZM NLG PLZ
PTE ROL RUR SDD SIT SKK SLL SRG STD TMM TPE TRL UAK VEB VEF XEU XFO XFU YUM ZMK ZRN ZWD
ZWL ZWN ZWR ANG BGN""".split()

# ---------------------------------------------------------------- RFC 3339

# Section 5.6, with ABNF's DIGIT (%x30-39) and its case-insensitive "T"/"Z".
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))",
    re.ASCII,
)


def leap_year(y):  # RFC 3339 Appendix C
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def days_in_month(y, m):
    return [31, 29 if leap_year(y) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]


def days_from_civil(y, m, d):
    """Days since 1970-01-01 in the proleptic Gregorian calendar, any year
    (H. Hinnant's days_from_civil; gen.py checks it against Python's date)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


class Stamp:
    """A parsed RFC 3339 date-time: its fields as written."""

    def __init__(self, y, mo, d, h, mi, s, frac, off):
        self.y, self.mo, self.d, self.h, self.mi, self.s = y, mo, d, h, mi, s
        self.frac = frac  # digits after the point, "" for none
        self.off = off  # offset in minutes (-00:00 and Z are 0)

    def utc_minutes(self):
        return (days_from_civil(self.y, self.mo, self.d) * 1440 + self.h * 60 + self.mi) - self.off

    def instant(self):
        """The instant it names: UTC minute, second (60 kept), fraction without trailing zeros."""
        return (self.utc_minutes(), self.s, self.frac.rstrip("0"))


def parse_rfc3339(s):
    """A Stamp, or a string saying which rule s breaks."""
    m = _RFC3339.fullmatch(s)
    if not m:
        return "not RFC 3339 section 5.6 date-time"
    y, mo, d, h, mi, sec = (int(m.group(i)) for i in range(1, 7))
    frac = (m.group(7) or "")[1:]
    if m.group(8):
        off = 0
    else:
        oh, om = int(m.group(10)), int(m.group(11))
        if oh > 23 or om > 59:
            return "time-numoffset out of range"
        off = (oh * 60 + om) * (1 if m.group(9) == "+" else -1)
    if not 1 <= mo <= 12:
        return "date-month out of range"
    if not 1 <= d <= days_in_month(y, mo):
        return "date-mday out of range for month/year"
    if h > 23 or mi > 59 or sec > 60:
        return "time out of range"
    st = Stamp(y, mo, d, h, mi, sec, frac, off)
    if sec == 60:
        # 5.7: a leap second is 23:59:60 UTC at the end of a month (the docs:
        # "the last second of a month in UTC"; which months is not checked).
        um = st.utc_minutes()
        uy, umo, ud = civil_from_days(um // 1440)
        if um % 1440 != 23 * 60 + 59 or ud != days_in_month(uy, umo):
            return "leap second not at 23:59:60 UTC at the end of a month"
    return st


def format_stamp(y, mo, d, h, mi, s, frac, off, t="T", z="Z", zero_as="Z"):
    """Writes a date-time; off in minutes; zero offset as zero_as ("Z", "+00:00", "-00:00")."""
    if off == 0 and zero_as in ("Z", "z"):
        tail = z
    elif off == 0:
        tail = zero_as
    else:
        sign = "+" if off > 0 else "-"
        tail = "%s%02d:%02d" % (sign, abs(off) // 60, abs(off) % 60)
    f = "." + frac if frac else ""
    return "%04d-%02d-%02d%s%02d:%02d:%02d%s%s" % (y, mo, d, t, h, mi, s, f, tail)


def in_offset(st, off):
    """The wall clock of Stamp st's instant in offset off (minutes): (y, mo, d, h, mi)."""
    lm = st.utc_minutes() + off
    y, mo, d = civil_from_days(lm // 1440)
    return y, mo, d, (lm % 1440) // 60, lm % 60


# ---------------------------------------------------------------- amounts

# docs/handler.md: "0, 12, 12.5, 0.99; no sign, exponent or leading zero; at
# most 12 digits before the point". "12." and ".5" are read as not in it.
_DECIMAL = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]+))?", re.ASCII)


def parse_amount(s, minor):
    """(value in units of 10^-minor, None) or (None, rule broken). minor None: form only."""
    if not is_str(s):
        return None, "not a string"
    m = _DECIMAL.fullmatch(s)
    if not m:
        return None, "not a decimal"
    ip, fp = m.group(1), m.group(2) or ""
    if len(ip) > 12:
        return None, "more than 12 digits before the point"
    if minor is None:
        return 0, None
    if len(fp) > minor:
        return None, "more decimals than the currency's %d" % minor
    return int(ip + fp.ljust(minor, "0")), None


# ---------------------------------------------------------------- JSON


class Num(str):
    """A JSON number token kept as written."""


def is_str(v):
    """A JSON string (not a number token kept as text)."""
    return isinstance(v, str) and not isinstance(v, Num)


class DupName(ValueError):
    """A member name given twice (named as sent; only top-level ones are generated)."""

    def __init__(self, name):
        super().__init__("%s given twice" % name)
        self.name = name


def _no_dup(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise DupName(k)
        seen.add(k)
    return dict(pairs)


def _no_const(c):
    raise ValueError("not JSON: " + c)


def loads(text):
    """RFC 8259 text -> value; numbers as Num; duplicate names refused."""
    return json.loads(text, object_pairs_hook=_no_dup, parse_float=Num, parse_int=Num, parse_constant=_no_const)


def sqs_allowed(s):
    """SQS's message characters: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF."""
    for ch in s:
        c = ord(ch)
        if not (c in (9, 10, 13) or 0x20 <= c <= 0xD7FF or 0xE000 <= c <= 0xFFFD or c >= 0x10000):
            return False
    return True


# ---------------------------------------------------------------- orders

ORDER_FIELDS = {"orderId", "customerId", "items", "currency", "total", "createdAt"}
ITEM_FIELDS = {"sku", "quantity", "unitPrice"}
_ORDER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)


def _bad_text(s):
    """Why string s is not allowed in customerId or sku, or None."""
    for ch in s:
        c = ord(ch)
        if c < 0x20 or 0x7F <= c <= 0x9F:  # Unicode Cc
            return "a control character"
        if c in (0xFFFE, 0xFFFF):
            return "a noncharacter SQS refuses"
        if 0xD800 <= c <= 0xDFFF:
            return "a lone surrogate"
    return None


def order_text(body):
    """(order JSON text, field naming a fault of the order as a whole) of a body."""
    try:
        v = loads(body)
    except ValueError:
        return body, "body"
    if isinstance(v, dict) and "Type" in v and "TopicArn" in v:
        msg = v.get("Message")
        return (msg if is_str(msg) else None), "Message"
    return body, "body"


def check(body):
    """(problems [(field, rule)], identity or None) of an SQS body."""
    if len(body.encode("utf-8")) > 256 * 1024:
        return [("body", "over 256 KiB")], None
    text, whole = order_text(body)
    if text is None:
        return [("Message", "no order")], None
    if len(text.encode("utf-8")) > 64 * 1024:
        return [(whole, "order over 64 KiB")], None
    try:
        o = loads(text)
    except DupName as e:
        return [(e.name, "given twice")], None
    except ValueError:
        return [(whole, "not JSON")], None
    if not isinstance(o, dict):
        return [(whole, "not an object")], None
    probs = []
    for k in o:
        if k not in ORDER_FIELDS:
            probs.append((k, "unknown field"))
    oid = o.get("orderId")
    if not (is_str(oid) and _ORDER_ID.fullmatch(oid)):
        probs.append(("orderId", "1-64 of A-Z a-z 0-9 _ -"))
    cid = o.get("customerId")
    if not is_str(cid) or len(cid) > 128 or _bad_text(cid):
        probs.append(("customerId", "string of at most 128 characters, no control characters"))
    cur = o.get("currency")
    minor = CURRENT.get(cur) if is_str(cur) else None
    if minor is None:
        probs.append(("currency", "a current ISO 4217 code with a minor unit"))
    items = o.get("items")
    total_sum = 0
    sum_known = True
    if not isinstance(items, list) or not 1 <= len(items) <= 100:
        probs.append(("items", "1-100 items"))
        items, sum_known = [], False
    idents = []
    for i, it in enumerate(items):
        p = "items[%d]" % i
        if not isinstance(it, dict):
            probs.append((p, "not an object"))
            sum_known = False
            continue
        for k in it:
            if k not in ITEM_FIELDS:
                probs.append((p + "." + k, "unknown field"))
        sku = it.get("sku")
        if not is_str(sku) or len(sku) > 128 or _bad_text(sku):
            probs.append((p + ".sku", "string of at most 128 characters, no control characters"))
        q = it.get("quantity")
        qv = None
        if isinstance(q, Num) and re.fullmatch(r"-?(0|[1-9][0-9]*)", q, re.ASCII):
            qv = int(q)
        if qv is None or not 1 <= qv <= 1000000:
            probs.append((p + ".quantity", "an integer 1-1000000"))
            sum_known = False
        up, why = parse_amount(it.get("unitPrice"), minor)
        if why:
            probs.append((p + ".unitPrice", why))
            sum_known = False
        if qv is not None and up is not None and minor is not None:
            total_sum += qv * up
        idents.append((sku, qv, up))
    tot, why = parse_amount(o.get("total"), minor)
    if why:
        probs.append(("total", why))
    elif minor is not None and sum_known and tot != total_sum:
        probs.append(("total", "not the sum"))
    inst = None
    if "createdAt" in o:
        ca = o["createdAt"]
        st = parse_rfc3339(ca) if is_str(ca) else "not a string"
        if isinstance(st, str):
            probs.append(("createdAt", st))
        else:
            inst = st.instant()
    for s in (body, text):
        if not sqs_allowed(s):
            probs.append(("body", "characters SQS refuses"))
    if probs:
        return probs, None
    return [], (oid, cid, tuple(idents), cur, tot, "createdAt" in o, inst)


class Oracle:
    """Expectations of rows run in order against an empty table."""

    def __init__(self):
        self.stored = {}  # orderId -> (row name, identity)

    def expect(self, name, body):
        """(expect, fields named) for the row; records what it stores."""
        probs, ident = check(body)
        if probs:
            return "rejected", [f for f, _ in probs]
        oid = ident[0]
        if oid in self.stored:
            first, fid = self.stored[oid]
            return ("duplicate-of:" if fid == ident else "conflict-with:") + first, []
        self.stored[oid] = (name, ident)
        return "stored", []
