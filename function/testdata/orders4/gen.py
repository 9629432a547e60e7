#!/usr/bin/env python3
"""Writes orders.jsonl: orders4, generated from the grammars (see README.md).

Every row's expectation comes from oracle.py; the generator says what it
meant each row to be and asserts the oracle agrees, so a row whose mutation
did not do what was meant stops the run instead of entering the corpus.
"""

import calendar
import datetime
import json
import random
import sys
from pathlib import Path

import oracle as O

SEED = 20261130
HERE = Path(__file__).resolve().parent
R = random.Random(SEED)

# The oracle's calendar against Python's (years 1-9999), and round trips.
_epoch = datetime.date(1970, 1, 1).toordinal()
for _d in range(datetime.date(1, 1, 1).toordinal(), datetime.date(9999, 12, 31).toordinal() + 1, 97):
    _dt = datetime.date.fromordinal(_d)
    assert O.days_from_civil(_dt.year, _dt.month, _dt.day) == _d - _epoch, _dt
    assert O.civil_from_days(_d - _epoch) == (_dt.year, _dt.month, _dt.day), _dt
    assert O.days_in_month(_dt.year, _dt.month) == calendar.monthrange(_dt.year, _dt.month)[1], _dt
# RFC 3339 section 5.8's examples, and the instants it says they name.
for _s in ("1985-04-12T23:20:50.52Z", "1996-12-19T16:39:57-08:00", "1990-12-31T23:59:60Z", "1990-12-31T15:59:60-08:00", "1937-01-01T12:00:27.87+00:20"):
    assert not isinstance(O.parse_rfc3339(_s), str), _s
assert O.parse_rfc3339("1996-12-19T16:39:57-08:00").instant() == O.parse_rfc3339("1996-12-20T00:39:57Z").instant()
assert O.parse_rfc3339("1990-12-31T23:59:60Z").instant() == O.parse_rfc3339("1990-12-31T15:59:60-08:00").instant()

# ---------------------------------------------------------------- writing JSON


class Raw(str):
    """A token written as is (a number, or a mutated value)."""


class Style:
    """How a value is written: whitespace between tokens, member order, escapes."""

    def __init__(self, ws=0.0, shuffle=False, esc=0.0, upper_hex=False, slash=False):
        self.ws, self.shuffle, self.esc, self.upper_hex, self.slash = ws, shuffle, esc, upper_hex, slash

    def gap(self):
        if self.ws and R.random() < self.ws:
            return "".join(R.choice(" \t\n\r") for _ in range(R.randint(1, 3)))
        return ""


PLAIN = Style()


def jstr(s, st=PLAIN):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif c < 0x20:
            out.append("\\u%04x" % c)
        elif ch == "/" and st.slash:
            out.append("\\/")
        elif st.esc and R.random() < st.esc:
            # An ordinary character written as an escape (RFC 8259 section 7):
            # the same string.
            if c >= 0x10000:
                c -= 0x10000
                pair = (0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF))
                out.append("".join(("\\u%04X" if st.upper_hex else "\\u%04x") % u for u in pair))
            else:
                out.append(("\\u%04X" if st.upper_hex else "\\u%04x") % c)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def dump(v, st=PLAIN):
    g = st.gap
    if isinstance(v, Raw):
        return v
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return jstr(v, st)
    if isinstance(v, list):
        return "[" + g() + ("," + g()).join(dump(x, st) + g() for x in v) + "]" if v else "[" + g() + "]"
    if isinstance(v, dict):
        keys = list(v)
        if st.shuffle:
            R.shuffle(keys)
        parts = [g() + jstr(k, st) + g() + ":" + g() + dump(v[k], st) + g() for k in keys]
        return "{" + ",".join(parts) + "}" if parts else "{" + g() + "}"
    raise TypeError(type(v))


def envelope(order_text, st=PLAIN):
    """An SNS notification (HTTP/SQS delivery JSON) carrying order_text as Message."""
    n = R.randrange(16**12)
    env = {
        "Type": "Notification",
        "MessageId": "4f6b%04x-%04x-4%03x-8%03x-%012x" % (n % 65536, n % 65521, n % 4093, n % 4091, n),
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:OrderTopic",
        "Message": order_text,
        "Timestamp": "2026-11-30T08:%02d:%02d.%03dZ" % (R.randrange(60), R.randrange(60), R.randrange(1000)),
        "SignatureVersion": "1",
        "Signature": "".join(R.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(344)),
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem",
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:eu-west-1:123456789012:OrderTopic:0f1c",
    }
    return dump(env, st)


# ---------------------------------------------------------------- random members

DIGITS = "0123456789"
ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
# Printable characters of several scripts for customerId and sku (no Cc, no
# noncharacters): Latin, Greek, Cyrillic, CJK, an astral emoji.
TEXT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_./#:@+'\"\\éøßΩжЯ中文한글€"
ASTRAL = "\U0001F600\U0001D11E\U00020BB7"

CUR_BY_MINOR = {}
for _c, _u in sorted(O.CURRENT.items()):
    CUR_BY_MINOR.setdefault(_u, []).append(_c)


class Ids:
    def __init__(self):
        self.n = 0

    def new(self, length=None):
        self.n += 1
        base = "h4-%d-" % self.n
        if length is None:
            length = len(base) + R.randint(1, 12)
        assert length >= len(base)
        return base + "".join(R.choice(ID_CHARS) for _ in range(length - len(base)))


IDS = Ids()


def rand_text(n, astral=False):
    pool = TEXT_CHARS + (ASTRAL if astral else "")
    return "".join(R.choice(pool) for _ in range(n))


def fmt_minor(v, minor, decimals=None):
    """Value v (units of 10^-minor) written with `decimals` decimals (default minor)."""
    if decimals is None:
        decimals = minor
    s = str(v).rjust(minor + 1, "0")
    ip, fp = s[: len(s) - minor] if minor else s, s[len(s) - minor :] if minor else ""
    assert len(fp) - len(fp.rstrip("0")) >= minor - decimals or decimals >= minor, (v, minor, decimals)
    if decimals < minor:
        fp = fp[:decimals]
    elif decimals > minor:
        fp = fp + "0" * (decimals - minor)
    return ip + ("." + fp if fp else "")


def short_decimals(v, minor):
    """The fewest decimals that write value v exactly."""
    s = str(v).rjust(minor + 1, "0")
    fp = s[len(s) - minor :] if minor else ""
    return len(fp.rstrip("0"))


def rand_price(minor, int_digits=None):
    """A unit price in units of 10^-minor with up to 12 digits before the point."""
    if int_digits is None:
        int_digits = R.choice([0, 0, 1, 1, 2, 2, 3, 4, 6, 9])
    ip = 0 if int_digits == 0 else R.randrange(10 ** (int_digits - 1), 10**int_digits)
    return ip * 10**minor + R.randrange(10**minor)


def rand_items(minor, n=None, total_cap=10**12):
    """Items whose sum stays under total_cap whole units."""
    if n is None:
        n = R.choice([1, 1, 1, 2, 2, 3, 5, 8])
    while True:
        items = []
        for _ in range(n):
            q = R.choice([1, 1, 2, 3, R.randint(1, 50), R.randint(1, 1000000)])
            p = rand_price(minor)
            items.append([rand_text(R.randint(1, 20)), q, p])
        s = sum(q * p for _, q, p in items)
        if s < total_cap * 10**minor:
            return items


def rand_offset():
    r = R.random()
    if r < 0.3:
        return 0
    if r < 0.45:
        return R.choice([60, -300, 330, 345, -570, 765, 840, -720, 120, -180])
    return R.randint(-(23 * 60 + 59), 23 * 60 + 59)


def rand_frac():
    r = R.random()
    if r < 0.4:
        return ""
    return "".join(R.choice(DIGITS) for _ in range(R.choice([1, 2, 3, 3, 3, 6, 9, 12, 20, 64])))


def rand_year():
    r = R.random()
    if r < 0.6:
        return R.randint(1970, 2100)
    if r < 0.8:
        return R.choice([0, 1600, 1900, 2000, 2100, 2400, 1, 4, 100, 400, 9996, 9999, 2024, 2026, 1972])
    return R.randint(1, 9998)


def rand_stamp(leap=False):
    """A valid date-time string and its Stamp; leap: a leap second."""
    while True:
        t = "T" if R.random() < 0.85 else "t"
        z = "Z" if R.random() < 0.85 else "z"
        off = rand_offset()
        frac = rand_frac()
        zero_as = R.choice(["Z", "Z", "Z", "+00:00"])
        if leap:
            # 23:59:60 UTC on the last day of a month, written in offset off.
            y, mo = rand_year(), R.randint(1, 12)
            d = O.days_in_month(y, mo)
            um = O.days_from_civil(y, mo, d) * 1440 + 23 * 60 + 59 + off
            ly, lmo, ld = O.civil_from_days(um // 1440)
            s = O.format_stamp(ly, lmo, ld, (um % 1440) // 60, um % 60, 60, frac, off, t, z, zero_as)
        else:
            y, mo = rand_year(), R.randint(1, 12)
            r = R.random()
            # Days at the month's edges more often than the middle.
            d = R.choice([1, O.days_in_month(y, mo), R.randint(1, O.days_in_month(y, mo))]) if r < 0.5 else R.randint(1, O.days_in_month(y, mo))
            h, mi, sec = R.choice([0, 23, R.randint(0, 23)]), R.choice([0, 59, R.randint(0, 59)]), R.choice([0, 59, R.randint(0, 59)])
            s = O.format_stamp(y, mo, d, h, mi, sec, frac, off, t, z, zero_as)
        st = O.parse_rfc3339(s)
        if leap and isinstance(st, str) and s.startswith("10000-"):
            continue  # 9999-12-31T23:59:60Z east of UTC is in year 10000
        assert not isinstance(st, str), (s, st)
        # Keep the instant inside years 0000-9999 in UTC too (see README).
        uy = O.civil_from_days(st.utc_minutes() // 1440)[0]
        if 0 <= uy <= 9999:
            return s, st


# ---------------------------------------------------------------- orders


class Order:
    """An order as fields, written to a body on demand."""

    def __init__(self, currency=None, items=None, created=True, oid=None):
        if currency is None:
            currency = R.choice(sorted(O.CURRENT))
        self.minor = O.CURRENT.get(currency, 2)
        self.fields = {}
        self.fields["orderId"] = oid or IDS.new()
        self.fields["customerId"] = "c-" + rand_text(R.randint(1, 16))
        its = items if items is not None else rand_items(self.minor)
        self.fields["items"] = [
            {"sku": sku, "quantity": q, "unitPrice": fmt_minor(p, self.minor, R.choice([self.minor, self.minor, short_decimals(p, self.minor)]))}
            for sku, q, p in its
        ]
        self.fields["currency"] = currency
        tot = sum(q * p for _, q, p in its)
        self.fields["total"] = fmt_minor(tot, self.minor, R.choice([self.minor, self.minor, short_decimals(tot, self.minor)]))
        if created:
            self.fields["createdAt"] = rand_stamp(leap=R.random() < 0.05)[0]
        # A random but fixed member order: producers differ.
        if R.random() < 0.3:
            keys = list(self.fields)
            R.shuffle(keys)
            self.fields = {k: self.fields[k] for k in keys}

    def copy(self):
        c = Order.__new__(Order)
        c.minor = self.minor
        c.fields = json.loads(json.dumps(self.fields))
        for k, v in self.fields.items():
            if isinstance(v, Raw):
                c.fields[k] = v
        return c

    def text(self, st=PLAIN):
        return dump(self.fields, st)

    def body(self, wrap=None, st=PLAIN):
        if wrap is None:
            wrap = R.random() < 0.12
        t = self.text(st)
        return envelope(t, st if R.random() < 0.5 else PLAIN) if wrap else t


# ---------------------------------------------------------------- the corpus


class Corpus:
    def __init__(self):
        self.rows = []
        self.names = set()
        self.oracle = O.Oracle()
        self.stored = []  # (name, Order, body) of stored rows

    def add(self, name, body, want, field="", rule="", source="", decided=True, order=None):
        """Adds a row; want is what the generator meant ("stored", "rejected",
        "duplicate-of:x", "conflict-with:x"); the oracle must agree."""
        assert name not in self.names, name
        self.names.add(name)
        assert O.sqs_allowed(body), name
        assert len(body.encode()) <= 256 * 1024, name
        got, fields = self.oracle.expect(name, body)
        if got != want or (want == "rejected" and field not in fields):
            sys.exit("gen.py: %s: meant %s %s, oracle says %s %s\n  body %.400r" % (name, want, field, got, fields, body))
        if want == "rejected" and len(set(fields)) != 1:
            sys.exit("gen.py: %s: a single mutation broke %s" % (name, fields))
        self.rows.append({"name": name, "body": body, "expect": want, "field": field if want == "rejected" else "", "rule": rule, "source": source, "decided_by_docs": decided})
        if want == "stored" and order is not None:
            self.stored.append((name, order, body))


C = Corpus()

# ---- createdAt: valid members of the grammar -------------------------------

for i in range(260):
    o = Order()
    s, st = rand_stamp(leap=i % 8 == 0)
    o.fields["createdAt"] = s
    C.add("ts-valid-%03d" % i, o.body(), "stored", rule="RFC 3339 5.6 date-time, 5.7 ranges: " + s, source="RFC 3339 5.6, 5.7", order=o)

# Every month's last day and the day after, across leap and common years.
for y in (1900, 2000, 2023, 2024, 2100, 2400):
    for mo in range(1, 13):
        last = O.days_in_month(y, mo)
        o = Order()
        o.fields["createdAt"] = "%04d-%02d-%02dT12:00:00Z" % (y, mo, last)
        C.add("ts-mday-last-%04d-%02d" % (y, mo), o.body(), "stored", rule="date-mday %d is the last day" % last, source="RFC 3339 5.7, Appendix C", order=o)
        o = Order()
        o.fields["createdAt"] = "%04d-%02d-%02dT12:00:00Z" % (y, mo, last + 1)
        C.add("ts-mday-past-%04d-%02d" % (y, mo), o.body(), "rejected", "createdAt", rule="date-mday %d past the month's %d days" % (last + 1, last), source="RFC 3339 5.7, Appendix C")

# ---- createdAt: single mutations of valid members ---------------------------

LETTERS = "OlIZSBoxA"
NONASCII_DIGITS = "\uff10\uff11\u0660\u0661\u0966\u0967\u06f5\U0001d7ce"


def positions(s, pred):
    return [i for i, ch in enumerate(s) if pred(ch)]


def mutate_stamp(s, st, kind):
    """One mutation of valid date-time s (Stamp st); a string or None if it does not apply."""
    y, mo, d, h, mi, sec = st.y, st.mo, st.d, st.h, st.mi, st.s
    date, rest = s[:10], s[11:]
    tail_at = 19 + (len(st.frac) + 1 if st.frac else 0)
    tail = s[tail_at:]
    head = s[:tail_at]
    if kind == "digit-letter":
        p = R.choice(positions(s, str.isdigit))
        return s[:p] + R.choice(LETTERS) + s[p + 1 :]
    if kind == "digit-nonascii":
        p = R.choice(positions(s, str.isdigit))
        return s[:p] + R.choice(NONASCII_DIGITS) + s[p + 1 :]
    if kind == "month-range":
        return "%04d-%02d%s" % (y, R.choice([0, 13, R.randint(13, 99)]), s[7:])
    if kind == "mday-range":
        return "%s%02d%s" % (s[:8], R.choice([0, O.days_in_month(y, mo) + 1, R.randint(32, 99)]), s[10:])
    if kind == "hour-range":
        return "%s%02d%s" % (s[:11], R.choice([24, R.randint(24, 99)]), s[13:])
    if kind == "minute-range":
        return "%s%02d%s" % (s[:14], R.choice([60, R.randint(60, 99)]), s[16:])
    if kind == "second-range":
        return "%s%02d%s" % (s[:17], R.choice([61, R.randint(61, 99)]), s[19:])
    if kind == "second-60":
        return "%s60%s" % (s[:17], s[19:])  # a leap second where 5.7 has none (the oracle checks)
    if kind == "offset-hour":
        if not tail or tail[0] not in "+-":
            return None
        return head + tail[0] + "%02d" % R.choice([24, R.randint(24, 99)]) + tail[3:]
    if kind == "offset-minute":
        if not tail or tail[0] not in "+-":
            return None
        return head + tail[:4] + "%02d" % R.choice([60, R.randint(60, 99)])
    if kind == "sep-date":
        p = R.choice([4, 7])
        return s[:p] + R.choice("/. _\u2010\u2212") + s[p + 1 :]
    if kind == "sep-T":
        return s[:10] + R.choice([" ", "_", "x", "TT", "", "\uff34"]) + s[11:]
    if kind == "sep-time":
        p = R.choice([13, 16])
        return s[:p] + R.choice([".", ";", "-", "", "\uff1a"]) + s[p + 1 :]
    if kind == "sep-frac":
        if not st.frac:
            return None
        return s[:19] + R.choice([",", ":", "\u00b7"]) + s[20:]
    if kind == "frac-empty":
        return head[:19] + "." + tail
    if kind == "offset-form":
        if tail in ("Z", "z"):
            return head + R.choice(["", "UTC", "GMT", "+00", "+0000", "Z+00:00", "ZZ", "+00:00:00", "\u2212" + "00:00"])
        return head + R.choice(["", tail[:3], tail[:3] + tail[4:], tail + ":00", tail + "Z", "\u2212" + tail[1:] if tail[0] == "-" else "\u2795" + tail[1:], tail[0] + tail[2:]])
    if kind == "digits-short":
        # One component written with one digit too few.
        p = R.choice([(0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19)])
        return s[: p[0]] + s[p[0] + 1 : p[1]] + s[p[1] :]
    if kind == "digits-long":
        p = R.choice([(0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19)])
        return s[: p[0]] + "0" + s[p[0] : p[1]] + s[p[1] :]
    if kind == "sign-year":
        return R.choice(["+", "-"]) + s
    if kind == "space":
        return R.choice([" " + s, s + " ", "\t" + s, s + "\n", "\u00a0" + s])
    if kind == "frac-after-offset":
        return s + "." + "".join(R.choice(DIGITS) for _ in range(R.randint(1, 3)))
    if kind == "date-only":
        return R.choice([date, rest, date + "T" + rest[:5] + tail])
    raise ValueError(kind)


MUTATIONS = [
    "digit-letter", "digit-nonascii", "month-range", "mday-range", "hour-range", "minute-range", "second-range",
    "second-60", "offset-hour", "offset-minute", "sep-date", "sep-T", "sep-time", "sep-frac", "frac-empty",
    "offset-form", "digits-short", "digits-long", "sign-year", "space", "frac-after-offset", "date-only",
]

n = 0
for kind in MUTATIONS:
    made = 0
    tries = 0
    while made < 18 and tries < 500:
        tries += 1
        s, st = rand_stamp(leap=kind in ("digit-letter", "sep-time") and R.random() < 0.2)
        m = mutate_stamp(s, st, kind)
        if m is None or not isinstance(O.parse_rfc3339(m), str):
            continue  # did not apply, or (second-60 at a month's end) still valid
        o = Order()
        o.fields["createdAt"] = m
        C.add("ts-bad-%s-%02d" % (kind, made), o.body(), "rejected", "createdAt", rule="%s: %r from valid %r" % (kind, m, s), source="RFC 3339 5.6, 5.7")
        made += 1
    assert made == 18, kind

# Not strings, or empty (docs: never "").
for i, v in enumerate([Raw('""'), Raw("null"), Raw("20261130"), Raw("true"), Raw('["2026-11-30T08:00:00Z"]'), Raw('{}')]):
    o = Order()
    o.fields["createdAt"] = v
    C.add("ts-bad-type-%d" % i, o.body(), "rejected", "createdAt", rule="createdAt %s: a string, never empty" % v, source="docs/handler.md createdAt")

# ---- amounts: each current code at its minor unit, and past it --------------

for code in sorted(O.CURRENT):
    minor = O.CURRENT[code]
    o = Order(currency=code)
    C.add("cur-ok-%s" % code, o.body(), "stored", rule="%s: %d decimals in List One" % (code, minor), source="ISO 4217 List One (currency-codes 2.2.0)", order=o)
    # unitPrice with one decimal more than the unit (a zero is still a decimal).
    o = Order(currency=code, items=rand_items(minor, 1))
    up = o.fields["items"][0]["unitPrice"]
    extra = R.choice(DIGITS)
    o.fields["items"][0]["unitPrice"] = up + ("." if "." not in up else "") + "0" * (minor - (len(up.split(".")[1]) if "." in up else 0)) + extra
    C.add("cur-up-decimals-%s" % code, o.body(), "rejected", "items[0].unitPrice", rule="%s has %d decimals: %s" % (code, minor, o.fields["items"][0]["unitPrice"]), source="ISO 4217 List One; docs/handler.md")
    # total one minor unit off either way.
    o = Order(currency=code)
    tot, _ = O.parse_amount(o.fields["total"], minor)
    delta = R.choice([1, -1]) if tot > 0 else 1
    o.fields["total"] = fmt_minor(tot + delta, minor)
    C.add("cur-total-off-%s" % code, o.body(), "rejected", "total", rule="total %+d minor unit from the sum" % delta, source="docs/handler.md total")

# Other codes: funds, no minor unit, withdrawn, unknown, malformed.
for code in sorted(FUNDS := O.FUNDS):
    o = Order(currency=code)
    C.add("cur-fund-%s" % code, o.body(), "rejected", "currency", rule="%s is a funds code (IsFund in List One)" % code, source="ISO 4217 List One; docs/handler.md")
for code in sorted(c for c, u in O.LIST_ONE.items() if u is None):
    o = Order(currency=code)
    C.add("cur-na-%s" % code, o.body(), "rejected", "currency", rule="%s has no minor unit (N.A.)" % code, source="ISO 4217 List One; docs/handler.md")
for code in sorted(set(O.LIST_THREE)):
    if code in O.CURRENT:
        continue
    o = Order(currency=code)
    C.add("cur-withdrawn-%s" % code, o.body(), "rejected", "currency", rule="%s is withdrawn (List Three)" % code, source="ISO 4217 List Three; docs/handler.md")
known = set(O.LIST_ONE) | set(O.LIST_THREE) | set(O.ADDED) | {"XAD", "CNH", "CNT", "GGP", "IMP", "JEP", "TVD", "KID", "FOK", "PRB", "ZWB", "SSP"}
for i in range(30):
    while True:
        code = "".join(R.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3))
        if code not in known:
            break
    known.add(code)
    o = Order()
    o.fields["currency"] = code
    C.add("cur-unknown-%s" % code, o.body(), "rejected", "currency", rule="%s is not a current ISO 4217 code" % code, source="ISO 4217 List One")
for i in range(40):
    code = R.choice(sorted(O.CURRENT))
    p = R.randrange(3)
    bad = R.choice([
        code.lower(), code[:p] + code[p].lower() + code[p + 1 :], " " + code, code + " ", code[:2], code + R.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        code[:p] + chr(ord(code[p]) - 0x41 + 0xFF21) + code[p + 1 :], code[:p] + "\u200b" + code[p:], "",
    ])
    o = Order(currency=code)
    o.fields["currency"] = bad
    C.add("cur-malformed-%02d" % i, o.body(), "rejected", "currency", rule="%r for %s: an upper-case alphabetic code" % (bad, code), source="ISO 4217; docs/handler.md")

# ---- amounts: the decimal grammar and single mutations ----------------------


def mutate_amount(s, kind):
    if kind == "leading-zero":
        return "0" + s
    if kind == "sign":
        return R.choice("+-") + s
    if kind == "exponent":
        return s + R.choice(["e0", "E0", "e+0", "e-0"])
    if kind == "comma":
        return s.replace(".", ",") if "." in s else s + ",0"
    if kind == "digit-letter":
        p = R.choice(positions(s, str.isdigit))
        return s[:p] + R.choice("OlIoxZ") + s[p + 1 :]
    if kind == "digit-nonascii":
        p = R.choice(positions(s, str.isdigit))
        return s[:p] + R.choice(NONASCII_DIGITS) + s[p + 1 :]
    if kind == "space":
        return R.choice([" " + s, s + " ", s.replace(".", " .") if "." in s else s + " "])
    if kind == "thirteen":
        return "".join(R.choice(DIGITS[1:]) for _ in range(1)) + "".join(R.choice(DIGITS) for _ in range(12)) + s[s.index(".") :] if "." in s else "1" + "0" * 12
    if kind == "empty":
        return ""
    raise ValueError(kind)


AMOUNT_MUTATIONS = ["leading-zero", "sign", "exponent", "comma", "digit-letter", "digit-nonascii", "space", "thirteen", "empty"]

for kind in AMOUNT_MUTATIONS:
    for j in range(8):
        for where in ("up", "total"):
            o = Order()
            if where == "up":
                i = R.randrange(len(o.fields["items"]))
                fld, s = "items[%d].unitPrice" % i, o.fields["items"][i]["unitPrice"]
                o.fields["items"][i]["unitPrice"] = mutate_amount(s, kind)
                m = o.fields["items"][i]["unitPrice"]
            else:
                fld, s = "total", o.fields["total"]
                o.fields["total"] = m = mutate_amount(s, kind)
            if kind == "sign" and m.startswith("-") and O.parse_amount(s, 0)[0] == 0:
                pass  # "-0" is still a sign
            C.add("amt-%s-%s-%d" % (kind, where, j), o.body(), "rejected", fld, rule="%s: %r from %r" % (kind, m, s), source="docs/handler.md decimal string")

# Amounts as JSON numbers (docs: a decimal string).
for j in range(10):
    o = Order(currency=R.choice(CUR_BY_MINOR[2]))
    if j % 2:
        o.fields["total"] = Raw(o.fields["total"])
        fld = "total"
    else:
        o.fields["items"][0]["unitPrice"] = Raw(o.fields["items"][0]["unitPrice"])
        fld = "items[0].unitPrice"
    C.add("amt-number-%d" % j, o.body(), "rejected", fld, rule="a JSON number, not a decimal string", source="docs/handler.md")

# "12." and ".5": outside the grammar as read here (the docs give no ABNF).
for j in range(6):
    o = Order(currency=R.choice(CUR_BY_MINOR[2]), items=rand_items(2, 1))
    up = o.fields["items"][0]["unitPrice"]
    ip = up.split(".")[0]
    m = (ip + ".") if j % 2 else ("." + up.split(".")[1] if "." in up and ip == "0" else None)
    if m is None:
        m = ip + "."
    o.fields["items"][0]["unitPrice"] = m
    C.add("amt-bare-point-%d" % j, o.body(), "rejected", "items[0].unitPrice", rule="%r: a point needs digits on both sides (as read)" % m, source="docs/handler.md examples", decided=False)

# Twelve digits before the point (the most) with each minor unit: stored.
for minor, codes in sorted(CUR_BY_MINOR.items()):
    for j in range(4):
        code = R.choice(codes)
        p = rand_price(minor, 12)
        tot_digits = len(str(p // 10**minor))
        if tot_digits > 12:
            continue
        o = Order(currency=code, items=[["max-12", 1, p]])
        C.add("amt-12-digits-%d-%d" % (minor, j), o.body(), "stored", rule="12 digits before the point, %d decimals" % minor, source="docs/handler.md", order=o)

# Totals: equal with fewer decimals (stored); a zero past the unit (rejected).
for j in range(40):
    minor = R.choice([2, 2, 3, 0, 4])
    o = Order(currency=R.choice(CUR_BY_MINOR[minor]))
    tot, _ = O.parse_amount(o.fields["total"], minor)
    if j % 2 == 0:
        o.fields["total"] = fmt_minor(tot, minor, short_decimals(tot, minor))
        C.add("total-short-%02d" % j, o.body(), "stored", rule="total %s: fewer decimals, same value" % o.fields["total"], source="docs/handler.md", order=o)
    else:
        o.fields["total"] = fmt_minor(tot, minor) + ("." if minor == 0 else "") + "0"
        C.add("total-extra-zero-%02d" % j, o.body(), "rejected", "total", rule="total %s: a decimal past the currency's %d" % (o.fields["total"], minor), source="docs/handler.md (decimals as written)")

# A sum near 10^12 whole units: at the limit, and one minor unit past it.
for minor, codes in sorted(CUR_BY_MINOR.items()):
    code = R.choice(codes)
    top = 10 ** (12 + minor) - 1  # 999999999999.99...
    q = R.choice([1, 3, 7, 9])
    for past in (0, 1):
        p = top // q
        items = [["a", q, p], ["b", 1, top - q * p + past]]
        if top - q * p + past == 0 and past == 0:
            items = items[:1]
        o = Order(currency=code, items=items)
        if past:
            C.add("total-13-digits-%d" % minor, o.body(), "rejected", "total", rule="sum %s: 13 digits before the point" % o.fields["total"], source="docs/handler.md")
        else:
            C.add("total-12-digits-%d" % minor, o.body(), "stored", rule="sum %s: 12 digits before the point" % o.fields["total"], source="docs/handler.md", order=o)

# Sums past machine integers: items whose sum is the stated total plus 2^64,
# 2^63 or 2^32 minor units (a wrapping sum would match), and totals one minor
# unit off at 15-16 significant digits (a float64 sum would match).
for minor, codes in sorted(CUR_BY_MINOR.items()):
    top = 10 ** (12 + minor) - 1
    for j, k in enumerate((2**64, 2**63, 2**32)):
        t = R.randrange(1, 10 ** (4 + minor))
        rest, items = t + k, []
        while rest >= 1000000 and len(items) < 99:
            p = min(top, rest // 1000000)
            items.append(["w%d" % len(items), 1000000, p])
            rest -= 1000000 * p
        items.append(["r", 1, rest])
        o = Order(currency=R.choice(codes), items=items)
        o.fields["total"] = fmt_minor(t, minor)
        C.add("total-wrap-%d-%d" % (minor, j), o.body(), "rejected", "total", rule="the sum is the total + %d minor units" % k, source="docs/handler.md (exact decimals)")
    for j in range(4):
        p = R.randrange(10 ** (11 + minor), top)
        q = R.randint(1, 9)
        items = [["big", 1, p], ["small", q, R.randrange(1, 10 ** minor + 1)]]
        if p + q * items[1][2] > top:
            items[0][2] = top - q * items[1][2] - R.randrange(10)
        o = Order(currency=R.choice(codes), items=items)
        tot, _ = O.parse_amount(o.fields["total"], minor)
        o.fields["total"] = fmt_minor(tot + R.choice([1, -1]), minor)
        C.add("total-off-large-%d-%d" % (minor, j), o.body(), "rejected", "total", rule="total %s: one minor unit off at %d digits" % (o.fields["total"], len(str(tot))), source="docs/handler.md (exact decimals)")

# ---- lengths and ranges -----------------------------------------------------

for j in range(12):
    o = Order(oid=IDS.new(64))
    C.add("len-orderid-64-%02d" % j, o.body(), "stored", rule="orderId of 64 characters", source="docs/handler.md", order=o)
    o = Order(oid=IDS.new(65))
    C.add("len-orderid-65-%02d" % j, o.body(), "rejected", "orderId", rule="orderId of 65 characters", source="docs/handler.md")
    oid = IDS.new()
    p = R.randrange(3, len(oid) + 1)
    bad = oid[:p] + R.choice([" ", ".", "/", ":", "#", "+", "@", "é", "\u0130", "~", "\u200b", "\uff41"]) + oid[p:]
    o = Order(oid=bad)
    C.add("len-orderid-char-%02d" % j, o.body(), "rejected", "orderId", rule="orderId with %r: outside A-Z a-z 0-9 _ -" % bad[p], source="docs/handler.md")
for j, oid in enumerate([""]):
    o = Order(oid=None)
    o.fields["orderId"] = oid
    C.add("len-orderid-empty", o.body(), "rejected", "orderId", rule="orderId of 0 characters", source="docs/handler.md")

for fld in ("customerId", "sku"):
    for j in range(10):
        for n, want in ((128, "stored"), (129, "rejected")):
            o = Order()
            v = rand_text(n, astral=False)
            path = fld if fld == "customerId" else "items[0].sku"
            if fld == "customerId":
                o.fields["customerId"] = v
            else:
                o.fields["items"][0]["sku"] = v
            C.add("len-%s-%d-%02d" % (fld.lower(), n, j), o.body(), want, path if want == "rejected" else "", rule="%s of %d characters (%d UTF-8 bytes)" % (fld, n, len(v.encode())), source="docs/handler.md", order=o)
        # One control character (C0, escaped as JSON requires).
        o = Order()
        c = chr(R.choice(list(range(0, 0x20))))
        v = rand_text(R.randint(0, 10)) + c + rand_text(R.randint(0, 10))
        path = fld if fld == "customerId" else "items[0].sku"
        if fld == "customerId":
            o.fields["customerId"] = v
        else:
            o.fields["items"][0]["sku"] = v
        C.add("ctl-%s-c0-%02d" % (fld.lower(), j), o.body(), "rejected", path, rule="U+%04X: a control character" % ord(c), source="docs/handler.md; Unicode Cc")
        # DEL and C1 (Cc too; written literally, which JSON and SQS allow).
        o = Order()
        c = chr(R.choice([0x7F] + list(range(0x80, 0xA0))))
        v = rand_text(R.randint(0, 10)) + c + rand_text(R.randint(0, 10))
        if fld == "customerId":
            o.fields["customerId"] = v
        else:
            o.fields["items"][0]["sku"] = v
        C.add("ctl-%s-c1-%02d" % (fld.lower(), j), o.body(), "rejected", path, rule="U+%04X: Unicode general category Cc" % ord(c), source="Unicode Cc", decided=False)
        # A noncharacter SQS refuses, as an escape.
        o = Order()
        pre, post = rand_text(R.randint(0, 10)), rand_text(R.randint(0, 10))
        esc = R.choice(["\\uffff", "\\uFFFF", "\\ufffe", "\\uFFfE"])
        if fld == "customerId":
            o.fields["customerId"] = "X"
            t = o.text().replace('"customerId":"X"', '"customerId":' + jstr(pre)[:-1] + esc + jstr(post)[1:], 1)
        else:
            o.fields["items"][0]["sku"] = "X"
            t = o.text().replace('"sku":"X"', '"sku":' + jstr(pre)[:-1] + esc + jstr(post)[1:], 1)
        C.add("nonchar-%s-%02d" % (fld.lower(), j), t, "rejected", path, rule="%s: a noncharacter SQS refuses" % esc, source="docs/handler.md; SQS message characters")

for n, want in ((1, "stored"), (100, "stored"), (101, "rejected"), (0, "rejected")):
    for j in range(3):
        minor = R.choice([0, 2, 3])
        o = Order(currency=R.choice(CUR_BY_MINOR[minor]), items=rand_items(minor, n) if n else [])
        C.add("len-items-%d-%d" % (n, j), o.body(), want, "items" if want == "rejected" else "", rule="%d items (1-100)" % n, source="docs/handler.md", order=o)

for q, want in ((1, "stored"), (1000000, "stored"), (999999, "stored"), (0, "rejected"), (1000001, "rejected"), (-1, "rejected"), (2**53 + 1, "rejected"), (10**20, "rejected")):
    for j in range(2):
        items = rand_items(2, R.randint(1, 3))
        i = R.randrange(len(items))
        items[i][1] = q
        items[i][2] = R.randint(0, 99)
        o = Order(currency=R.choice(CUR_BY_MINOR[2]), items=items)
        if want == "rejected":
            # The total as if the quantity were 1: the sum of a bad quantity is no rule.
            o.fields["total"] = fmt_minor(sum((1 if x == i else it[1]) * it[2] for x, it in enumerate(items)), 2)
        C.add("qty-%d-%d" % (q, j), o.body(), want, "items[%d].quantity" % i if want == "rejected" else "", rule="quantity %d (1-1000000)" % q, source="docs/handler.md", order=o)
for j, tok in enumerate(["1.0", "1e0", "1E2", "-0", "10.00"]):
    o = Order(currency=R.choice(CUR_BY_MINOR[2]), items=[["q", 1, 100]])
    o.fields["items"][0]["quantity"] = Raw(tok)
    C.add("qty-form-%d" % j, o.body(), "rejected", "items[0].quantity", rule="quantity %s: an integer written as a JSON int (as read)" % tok, source="RFC 8259 6; docs/handler.md", decided=tok == "-0")


# Zero amounts: a zero price and a zero total are in the grammar.
for j in range(6):
    minor = R.choice(sorted(CUR_BY_MINOR))
    o = Order(currency=R.choice(CUR_BY_MINOR[minor]), items=[["free-%d" % k, R.randint(1, 1000000), 0] for k in range(R.randint(1, 3))])
    C.add("amt-zero-%d" % j, o.body(), "stored", rule="total %s of zero prices" % o.fields["total"], source="docs/handler.md (0 is an example)", order=o)

# Astral characters are one character each (code points, not UTF-16 units).
for fld in ("customerId", "sku"):
    for n, want in ((128, "stored"), (129, "rejected")):
        o = Order()
        v = "".join(R.choice(ASTRAL) for _ in range(n))
        path = fld if fld == "customerId" else "items[0].sku"
        if fld == "customerId":
            o.fields["customerId"] = v
        else:
            o.fields["items"][0]["sku"] = v
        C.add("len-%s-astral-%d" % (fld.lower(), n), o.body(), want, path if want == "rejected" else "", rule="%d astral characters (%d UTF-16 units)" % (n, 2 * n), source="docs/handler.md", decided=False, order=o)

# The order at 64 KiB and one byte past (whitespace between tokens, RFC 8259 2).
def padded(o, size):
    t = o.text()
    pad = size - len(t.encode())
    assert pad > 0
    return t[:-1] + " " * pad + "}"


for j in range(3):
    o = Order()
    C.add("size-order-64k-%d" % j, padded(o, 65536), "stored", rule="an order of 65536 bytes", source="docs/handler.md", order=o)
    o = Order()
    C.add("size-order-64k-plus1-%d" % j, padded(o, 65537), "rejected", "body", rule="an order of 65537 bytes", source="docs/handler.md")
o = Order()
C.add("size-env-64k", envelope(padded(o, 65536)), "stored", rule="a Message of 65536 bytes", source="docs/handler.md", order=o)
o = Order()
C.add("size-env-64k-plus1", envelope(padded(o, 65537)), "rejected", "Message", rule="a Message of 65537 bytes", source="docs/handler.md")

def restamp(s):
    """The same instant written another way (offset, fraction zeros, case)."""
    st = O.parse_rfc3339(s)
    for _ in range(50):
        off = R.choice([st.off, 0, rand_offset(), rand_offset()])
        y, mo, d, h, mi = O.in_offset(st, off)
        if not 0 <= y <= 9999:
            continue
        frac = st.frac.rstrip("0")
        frac += "0" * R.choice([0, 0, 1, 3, 6, 12])
        if st.frac and not frac.strip("0") and R.random() < 0.5:
            frac = ""
        t = R.choice("Tt")
        z = R.choice("Zz")
        out = O.format_stamp(y, mo, d, h, mi, st.s, frac, off, t, z, R.choice(["Z", "Z", "+00:00"]))
        if out != s:
            return out
    return None


# ---- RFC 8259: what is and is not JSON text around valid orders --------------

JSON_WS = " \t\n\r"
NOT_WS = ["\u00a0", "\u2028", "\ufeff", "\u3000", "\u0085", "\u2009"]  # VT, FF: SQS refuses them


def token_gaps(t):
    """Offsets in JSON text t between tokens (outside strings)."""
    gaps, in_str, esc = [], False, False
    for i, ch in enumerate(t):
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
                gaps.append(i + 1)
        elif ch == '"':
            gaps.append(i)
            in_str = True
        elif ch in "{}[],:":
            gaps += [i, i + 1]
    return sorted(set(gaps))


for j in range(30):
    o = Order()
    t = o.text()
    g = R.choice(token_gaps(t))
    ws = "".join(R.choice(JSON_WS) for _ in range(R.randint(1, 4)))
    C.add("json-ws-%02d" % j, t[:g] + ws + t[g:], "stored", rule="RFC 8259 ws %r at offset %d" % (ws, g), source="RFC 8259 2", order=o)
# RFC 8259's "ws value ws": whitespace around the order, raw and as Message.
for j in range(12):
    o = Order()
    t = "".join(R.choice(JSON_WS) for _ in range(R.randint(0, 3))) + o.text() + "".join(R.choice(JSON_WS) for _ in range(R.randint(1, 3)))
    C.add("json-ws-around-%02d" % j, envelope(t) if j % 3 == 0 else t, "stored", rule="ws around the order", source="RFC 8259 2", order=o)
for j in range(30):
    o = Order()
    t = o.text()
    g = R.choice(token_gaps(t))
    c = R.choice(NOT_WS)
    wrap = j % 5 == 0
    body = envelope(t[:g] + c + t[g:]) if wrap else t[:g] + c + t[g:]
    C.add("json-not-ws-%02d" % j, body, "rejected", "Message" if wrap else "body", rule="U+%04X between tokens: not RFC 8259 ws" % ord(c), source="RFC 8259 2")
# Escapes RFC 8259 section 7 does not have, inside customerId.
for j in range(16):
    o = Order()
    o.fields["customerId"] = "X"
    bad = R.choice(["\\x41", "\\U0041", "\\'", "\\u41", "\\u004", "\\a", "\\0", "\\v", "\\uZZZZ", "\\ "])
    t = o.text().replace('"customerId":"X"', '"customerId":"c' + bad + 'zq"', 1)
    C.add("json-bad-escape-%02d" % j, t, "rejected", "body", rule="%s: not an RFC 8259 escape" % bad, source="RFC 8259 7")
# A member given twice (RFC 8259 4: names SHOULD be unique; docs: rejected).
for j in range(20):
    o = Order()
    k = R.choice(["orderId", "customerId", "currency", "total", "items", "createdAt"])
    if k not in o.fields:
        k = "currency"
    t = o.text()
    t = t[:-1] + "," + jstr(k) + ":" + dump(o.fields[k]) + "}"
    C.add("json-dup-name-%02d" % j, t, "rejected", k, rule="%s given twice (same value)" % k, source="RFC 8259 4; docs/handler.md")
# Trailing data after the order, and a truncated order.
for j in range(12):
    o = Order()
    t = o.text()
    if j % 2:
        body, rule = t + R.choice(["x", "}", "{}", "\u00a0", "0", ","]), "trailing data"
    else:
        body, rule = t[: R.randrange(1, len(t) - 1)], "truncated"
    C.add("json-%s-%02d" % (rule.split()[0], j), body, "rejected", "body", rule=rule, source="RFC 8259 2")

# -00:00 (RFC 3339 4.3: UTC, local offset unknown): the instant of Z.
for j in range(10):
    o = Order()
    s, st = rand_stamp()
    s = s[: 19 + (len(st.frac) + 1 if st.frac else 0)]
    utc = O.in_offset(st, 0)
    s = O.format_stamp(*utc, st.s, st.frac, 0, "T", "Z", "-00:00")
    o.fields["createdAt"] = s
    C.add("ts-minus-zero-%02d" % j, o.body(), "stored", rule="%s: -00:00 is in the grammar" % s, source="RFC 3339 4.3, 5.6", order=o)
    c = o.copy()
    c.fields["createdAt"] = s[:-6] + R.choice(["Z", "+00:00"])
    C.add("ts-minus-zero-resend-%02d" % j, c.body(), "duplicate-of:ts-minus-zero-%02d" % j, rule="%s for %s: the same instant" % (c.fields["createdAt"], s), source="RFC 3339 4.3", decided=False)

# Leap seconds against their neighbours: the second after (next month's
# 00:00:00 UTC) and the one before are other instants.
for j in range(12):
    o = Order()
    s, st = rand_stamp(leap=True)
    o.fields["createdAt"] = s
    name = "ts-leap-%02d" % j
    C.add(name, o.body(), "stored", rule="%s: 23:59:60 UTC at a month's end" % s, source="RFC 3339 5.7; docs/handler.md", order=o)
    c = o.copy()
    c.fields["createdAt"] = restamp(s) or s
    C.add(name + "-same", c.body(), "duplicate-of:" + name, rule="%s: the same leap second" % c.fields["createdAt"], source="RFC 3339 5.8; docs/handler.md")
    for k, secs in (("next", 1), ("before", -1)):
        c = o.copy()
        um = st.utc_minutes() * 60 + 59 + (1 if secs > 0 else 0) + st.off * 60  # local seconds of 23:59:59 or 00:00:00 next
        lm, sec = divmod(um, 60)
        y, mo, d = O.civil_from_days(lm // 1440)
        c.fields["createdAt"] = O.format_stamp(y, mo, d, (lm % 1440) // 60, lm % 60, sec, st.frac, st.off)
        C.add(name + "-" + k, c.body(), "conflict-with:" + name, rule="%s: the second %s the leap second" % (c.fields["createdAt"], "after" if secs > 0 else "before"), source="RFC 3339 5.7, 5.8")

# ---- re-sends -----------------------------------------------------------------


def equivalent(o, body, orig_wrapped):
    """A re-send of Order o in another form with the same identity: (body, what changed)."""
    c = o.copy()
    how = []
    ops = R.sample(["order", "ws", "esc", "stamp", "amount", "wrap", "slash"], R.randint(1, 4))
    st = Style()
    if "order" in ops:
        st.shuffle = True
        how.append("member order")
    if "ws" in ops:
        st.ws = R.choice([0.3, 1.0])
        how.append("whitespace")
    if "esc" in ops:
        st.esc = R.choice([0.05, 0.3, 1.0])
        st.upper_hex = R.random() < 0.5
        how.append("escapes of ordinary characters")
    if "slash" in ops:
        st.slash = True
        how.append("\\/")
    if "stamp" in ops and "createdAt" in c.fields:
        n = restamp(c.fields["createdAt"])
        if n:
            c.fields["createdAt"] = n
            how.append("createdAt " + n)
    if "amount" in ops:
        m = c.minor
        tot, _ = O.parse_amount(c.fields["total"], m)
        c.fields["total"] = fmt_minor(tot, m, R.randint(short_decimals(tot, m), m))
        for it in c.fields["items"]:
            v, _ = O.parse_amount(it["unitPrice"], m)
            it["unitPrice"] = fmt_minor(v, m, R.randint(short_decimals(v, m), m))
        how.append("amounts' decimals")
    wrap = orig_wrapped
    if "wrap" in ops:
        wrap = not orig_wrapped
        how.append("unwrapped" if orig_wrapped else "in an SNS envelope")
    return c.body(wrap, st), how


def one_change(o):
    """Order o with one semantic change that keeps it valid: (Order, what)."""
    c = o.copy()
    m = c.minor
    kind = R.choice(["customer", "sku", "quantity", "price", "currency", "stamp-later", "stamp-wallclock", "stamp-drop", "stamp-frac"])
    if kind == "customer":
        v = c.fields["customerId"]
        p = R.randrange(len(v))
        c.fields["customerId"] = v[:p] + R.choice([ch for ch in "aZ9-" if ch != v[p]]) + v[p + 1 :]
        return c, "customerId %r" % c.fields["customerId"]
    if kind == "sku":
        it = R.choice(c.fields["items"])
        it["sku"] = it["sku"] + R.choice("xY")
        return c, "sku %r" % it["sku"]
    if kind in ("quantity", "price"):
        it = R.choice(c.fields["items"])
        tot, _ = O.parse_amount(c.fields["total"], m)
        up, _ = O.parse_amount(it["unitPrice"], m)
        if kind == "quantity":
            d = 1 if it["quantity"] < 1000000 else -1
            it["quantity"] += d
            tot += d * up
            what = "quantity %d" % it["quantity"]
        else:
            d = 1 if up < 10 ** (12 + m) - 1 else -1
            up += d
            it["unitPrice"] = fmt_minor(up, m)
            tot += d * it["quantity"]
            what = "unitPrice %s (one minor unit)" % it["unitPrice"]
        if tot >= 10 ** (12 + m):
            return None, None
        c.fields["total"] = fmt_minor(tot, m)
        return c, what + ", total %s" % c.fields["total"]
    if kind == "currency":
        others = [x for x in CUR_BY_MINOR[m] if x != c.fields["currency"]]
        if not others:
            return None, None  # UYW is the only 4-decimal code
        c.fields["currency"] = R.choice(others)
        return c, "currency %s" % c.fields["currency"]
    ca = c.fields.get("createdAt")
    if kind == "stamp-drop":
        if ca is None:
            c.fields["createdAt"] = rand_stamp()[0]
            return c, "createdAt added"
        del c.fields["createdAt"]
        return c, "createdAt left out"
    if ca is None:
        return None, None
    st = O.parse_rfc3339(ca)
    if kind == "stamp-later":
        if st.s == 60:
            return None, None
        unit = R.choice([1, 60, 3600])
        lm = st.utc_minutes() * 60 + st.s + unit
        um, sec = divmod(lm, 60)
        y, mo, d = O.civil_from_days((um + st.off) // 1440)
        lmin = (um + st.off) % 1440
        n = O.format_stamp(y, mo, d, lmin // 60, lmin % 60, sec, st.frac, st.off, "T", "Z")
        if not 0 <= y <= 9999:
            return None, None
        c.fields["createdAt"] = n
        return c, "createdAt %d s later: %s" % (unit, n)
    if kind == "stamp-wallclock":
        off = st.off + R.choice([60, -60, 30, 345]) if abs(st.off) < 1200 else st.off - 60
        n = O.format_stamp(st.y, st.mo, st.d, st.h, st.mi, st.s, st.frac, off, "T", "Z")
        if isinstance(O.parse_rfc3339(n), str):
            return None, None  # a leap second that moves off the month's end
        c.fields["createdAt"] = n
        return c, "the same wall clock in another offset: %s" % n
    if kind == "stamp-frac":
        f = st.frac or "0"
        last = int(f[-1])
        f = f[:-1] + str((last + 1) % 10) if last < 9 else f + "1"
        n = ca[:19] + "." + f + ca[19 + (len(st.frac) + 1 if st.frac else 0) :]
        c.fields["createdAt"] = n
        return c, "createdAt 10^-%d s later: %s" % (len(f), n)
    raise ValueError(kind)


originals = R.sample(C.stored, 240)
for k, (name, o, body) in enumerate(originals):
    wrapped = O.order_text(body)[1] == "Message"
    for j in range(2):
        b, how = equivalent(o, body, wrapped)
        if b == body:
            continue
        C.add("resend-dup-%03d-%d" % (k, j), b, "duplicate-of:" + name, rule="same order: " + ", ".join(how), source="docs/handler.md (payloadHash: the order's identity)")
    for _ in range(20):
        c, what = one_change(o)
        if c is not None:
            break
    b, how = equivalent(c, body, wrapped) if R.random() < 0.5 else (c.body(wrapped), [])
    C.add("resend-conflict-%03d" % k, b, "conflict-with:" + name, rule="one change: " + what + ("; and " + ", ".join(how) if how else ""), source="docs/handler.md (another amount or another instant is a conflict)")
    if k % 12 == 0:
        c = o.copy()
        c.fields["createdAt"] = ""
        C.add("resend-empty-createdat-%03d" % k, c.body(wrapped), "rejected", "createdAt", rule='a re-send with createdAt "": refused, not a duplicate', source="docs/handler.md createdAt")

# ---------------------------------------------------------------- invariants and output

ids = {}
for r in C.rows:
    if r["expect"] == "stored":
        oid = O.loads(O.order_text(r["body"])[0])["orderId"]
        assert oid not in ids, oid
        ids[oid] = r["name"]
kinds = {}
for r in C.rows:
    k = r["expect"].split(":")[0]
    kinds[k] = kinds.get(k, 0) + 1
assert 1500 <= len(C.rows) <= 3000, len(C.rows)

with open(HERE / "orders.jsonl", "w", encoding="ascii") as f:
    for r in C.rows:
        f.write(json.dumps(r, ensure_ascii=True) + "\n")
print("%d rows: %s" % (len(C.rows), ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
