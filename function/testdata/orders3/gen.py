#!/usr/bin/env python3
"""Writes orders.jsonl, the orders3 held-back corpus (see README.md).

Every row is checked, before the file is written, against check(), a small
reading of the same rules written here from RFC 3339, RFC 8259, ISO 4217 and
docs/handler.md: a stored row must pass it, a rejected row must fail it
naming the row's field, and a re-send must have the identity (or not) of
the row it names. check() is a consistency check of the corpus, not an
oracle: where docs/handler.md is silent it encodes this corpus's judgement.
"""

import json
import os
import re
import sys
import unicodedata
import decimal
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- currencies

# ISO 4217 Table A.1 (List One) minor units as at 2026-01-01, for the codes
# this corpus uses, from my knowledge of the published list (README says
# which facts are uncertain). Only codes used by rows are listed.
CURRENT = {
    # 2 decimals
    "EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "CAD": 2, "SEK": 2, "NOK": 2,
    "DKK": 2, "CZK": 2, "PLN": 2, "HUF": 2, "INR": 2, "PKR": 2, "CNY": 2,
    "HKD": 2, "SGD": 2, "BRL": 2, "MXN": 2, "ZAR": 2, "NGN": 2, "EGP": 2,
    "TRY": 2, "UAH": 2, "ILS": 2, "THB": 2, "KES": 2, "TZS": 2, "CRC": 2,
    "AMD": 2, "MNT": 2, "GYD": 2, "MUR": 2, "KZT": 2, "GEL": 2, "AZN": 2,
    "BDT": 2, "PAB": 2, "BTN": 2, "LSL": 2, "NAD": 2, "HTG": 2, "SZL": 2,
    "SVC": 2, "CUC": 2, "CUP": 2, "BOB": 2, "UYU": 2, "CLP": 0,
    "MRU": 2, "STN": 2, "VES": 2, "VED": 2, "SLE": 2, "ZWG": 2, "XCG": 2,
    # 0 decimals
    "JPY": 0, "KRW": 0, "ISK": 0, "VND": 0, "XOF": 0,
    # 3 decimals
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    # 4 decimals (not a funds code in List One)
    "UYW": 4,
}

# Codes that are no currency for an order (List One X codes without minor
# units, and the funds codes): refused.
NOT_FOR_ORDERS = {"XTS", "XXX", "XAU", "XDR", "CLF", "BOV", "MXV", "XAD"}

# ISO 4217 Table A.3 (List Three): code -> (withdrawn, replaced by).
WITHDRAWN = {
    "ESP": ("2002-03", "EUR"), "SKK": ("2009-01", "EUR"),
    "EEK": ("2011-01", "EUR"), "LVL": ("2014-01", "EUR"),
    "CSD": ("2006-10", "RSD"), "YUM": ("2003-07", "CSD"),
    "ZWD": ("2008-08", "ZWR"), "ZWN": ("2006-06", "ZWD"), "MZM": ("2006-06", "MZN"),
    "ROL": ("2005-06", "RON"), "TMM": ("2009-01", "TMT"),
    "RUR": ("1998-01", "RUB"), "USS": ("2014-03", "(none)"),
    "XFO": ("2006-10", "XDR"), "XFU": ("2013-11", "EUR"),
    "XRE": ("1999-11", "(none)"), "AFA": ("2003-01", "AFN"), "ECS": ("2000-09", "USD"),
}

# ---------------------------------------------------------------- the checker


class Obj(dict):
    """A JSON object that remembers the names it was given twice."""
    dups = ()


def _no_dups(pairs):
    o, dups = Obj(), []
    for k, v in pairs:
        if k in o:
            dups.append(k)
        o[k] = v
    o.dups = dups
    return o


def _const(c):
    raise ValueError("not JSON: " + c)


def strict_json(text):
    """RFC 8259 as Python's json reads it strictly, plus: no NaN/Infinity,
    no BOM; names given twice are kept in Obj.dups."""
    if text.startswith("\ufeff"):
        raise ValueError("BOM")
    return json.loads(text, object_pairs_hook=_no_dups, parse_float=Decimal,
                      parse_constant=_const, strict=True)


def bad_string(s):
    """Why a decoded JSON string is not one SQS could carry onward, or ''."""
    for ch in s:
        o = ord(ch)
        if 0xD800 <= o <= 0xDFFF:
            return "lone surrogate"
        if o in (0xFFFE, 0xFFFF):
            return "noncharacter"
    return ""


def has_cc(s):
    return any(unicodedata.category(ch) == "Cc" for ch in s)


AMOUNT = re.compile(r"(0|[1-9][0-9]{0,11})(\.([0-9]+))?\Z")
OID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
TS = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(\.[0-9]+)?([Zz]|([+-])([0-9]{2}):([0-9]{2}))\Z")


def leap_year(y):
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def mdays(y, m):
    return [31, 29 if leap_year(y) else 28, 31, 30, 31, 30, 31, 31, 30, 31,
            30, 31][m - 1]


def days_from_civil(y, m, d):
    y -= m <= 2
    era = y // 400  # floor division: Hinnant's C form needs the -399
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


def instant(ts):
    """RFC 3339 5.6 + 5.7 (leap second: the last second of a month in UTC,
    as docs/handler.md takes it): the instant as (UTC minute, second,
    fraction), or None when ts is not one."""
    m = TS.match(ts)
    if not m:
        return None
    y, mo, d, hh, mi, ss = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= mo <= 12 and 1 <= d <= mdays(y, mo)):
        return None
    if hh > 23 or mi > 59 or ss > 60:
        return None
    off = 0
    if m.group(9):
        oh, om = int(m.group(10)), int(m.group(11))
        if oh > 23 or om > 59:
            return None
        off = (oh * 60 + om) * (1 if m.group(9) == "+" else -1)
    minute = days_from_civil(y, mo, d) * 1440 + hh * 60 + mi - off
    if ss == 60:
        uy, um, ud = civil_from_days(minute // 1440)
        if minute % 1440 != 23 * 60 + 59 or ud != mdays(uy, um):
            return None
    # The fraction to its last non-zero digit, as text: no precision lost.
    frac = (m.group(7) or ".").rstrip("0")
    return (minute, ss, frac)


def check_amount(v, places, field, probs):
    if not isinstance(v, str):
        probs.add(field)
        return None
    m = AMOUNT.match(v)
    if not m or len(m.group(3) or "") > places:
        probs.add(field)
        return None
    return Decimal(v)


def check_order(o, probs, where):
    """Adds every broken field's path to probs; returns the identity."""
    if not isinstance(o, dict):
        probs.add(where)
        return None
    allowed = {"orderId", "customerId", "items", "currency", "total",
               "createdAt"}
    probs.update(o.dups)
    for k, v in o.items():
        if k not in allowed:
            probs.add(k)
        if v is None:
            probs.add(k)
        if isinstance(v, str) and bad_string(v):
            probs.add(k)
    oid = o.get("orderId")
    if not (isinstance(oid, str) and OID.match(oid)):
        probs.add("orderId")
    cust = o.get("customerId")
    if not (isinstance(cust, str) and 1 <= len(cust) <= 128
            and not has_cc(cust)):
        probs.add("customerId")
    cur = o.get("currency")
    places = None
    if isinstance(cur, str) and cur in CURRENT:
        places = CURRENT[cur]
    else:
        probs.add("currency")
    items = o.get("items")
    ident_items = []
    total_sum = Decimal(0)
    if not (isinstance(items, list) and 1 <= len(items) <= 100):
        probs.add("items")
        items = items if isinstance(items, list) else []
    for i, it in enumerate(items):
        p = "items[%d]" % i
        if not isinstance(it, dict):
            probs.add(p)
            continue
        probs.update(p + "." + k for k in it.dups)
        for k, v in it.items():
            if k not in ("sku", "quantity", "unitPrice") or v is None or (
                    isinstance(v, str) and bad_string(v)):
                probs.add(p + "." + k)
        sku = it.get("sku")
        if not (isinstance(sku, str) and 1 <= len(sku) <= 128
                and not has_cc(sku)):
            probs.add(p + ".sku")
        q = it.get("quantity")
        if not (type(q) is int and 1 <= q <= 1000000):
            probs.add(p + ".quantity")
            q = None
        price = check_amount(it.get("unitPrice"),
                             places if places is not None else 4,
                             p + ".unitPrice", probs)
        if q is not None and price is not None:
            total_sum += q * price
            ident_items.append((sku, q, price))
    total = check_amount(o.get("total"), places if places is not None else 4,
                         "total", probs)
    if total is not None and total != total_sum:
        probs.add("total")
    ts = None
    if "createdAt" in o:
        c = o["createdAt"]
        ts = instant(c) if isinstance(c, str) else None
        if ts is None:
            probs.add("createdAt")
    return (oid, cust, tuple(ident_items), cur, total, ts)


def dup_paths(v, path):
    """The paths of names given twice anywhere in v (a.b for objects)."""
    out = set()
    if isinstance(v, Obj):
        out.update(path + k for k in v.dups)
        for k, x in v.items():
            out |= dup_paths(x, path + k + ".")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            out |= dup_paths(x, path[:-1] + "[%d]." % i)
    return out


def check(body):
    """(problems, identity) for one SQS body, as this corpus reads the rules."""
    probs = set()
    if len(body.encode("utf-8")) > 256 * 1024:
        return {"body"}, None
    try:
        top = strict_json(body)
    except (ValueError, RecursionError):
        return {"body"}, None
    if isinstance(top, dict) and "Type" in top and "TopicArn" in top:
        probs.update(dup_paths(top, ""))
        for k, v in top.items():
            if v is None or isinstance(v, str) and bad_string(v):
                probs.add(k)
        if top["Type"] != "Notification":
            probs.add("Type")
        msg = top.get("Message")
        if not isinstance(msg, str):
            probs.add("Message")
        if probs:
            return probs, None
        if len(msg.encode("utf-8")) > 64 * 1024:
            return {"Message"}, None
        try:
            order = strict_json(msg)
        except (ValueError, RecursionError):
            return {"Message"}, None
        ident = check_order(order, probs, "Message")
        return probs, ident
    if len(body.encode("utf-8")) > 64 * 1024:
        return {"body"}, None
    ident = check_order(top, probs, "body")
    return probs, ident


# ---------------------------------------------------------------- builders


def s(v):
    """A JSON string as a producer writes it: non-ASCII characters literal."""
    return json.dumps(v, ensure_ascii=False)


def obj(pairs):
    """An object from (raw name text, raw value text) pairs, so that rows
    control every byte: escapes, duplicates, number forms."""
    return "{" + ",".join('"%s":%s' % (k, v) for k, v in pairs) + "}"


def item(sku="A-1", qty="1", price='"1.00"'):
    return obj([("sku", s(sku) if not sku.startswith('"') else sku),
                ("quantity", qty), ("unitPrice", price)])


def order(oid, cust=None, items=None, currency=None, total=None,
          created=None, extra=(), pairs=None):
    """A compact order; each argument is raw JSON text when given as such
    (a str starting with a quote, bracket, brace or digit is raw)."""
    p = [("orderId", s(oid) if oid is not None else None),
         ("customerId", cust if cust is not None else s("c-1")),
         ("items", items if items is not None else "[" + item() + "]"),
         ("currency", currency if currency is not None else s("EUR")),
         ("total", total if total is not None else s("1.00"))]
    if created is not None:
        p.append(("createdAt", created))
    p = [(k, v) for k, v in p if v is not None]
    p.extend(extra)
    return obj(pairs if pairs is not None else p)


ARN = "arn:aws:sns:eu-west-1:123456789012:orderpipe-dev-OrderTopic"
SIG = ("EXAMPLEw6JRN9jMPyEbOb3Ww4Y1o0rJIbYaVWfzCiNrUpC6mWbMcbuXe3zSyaWJqbrJb"
       "ZdJjVQn9QexNNDq0V3B0t8Fnyu8pGQl0Nf8dEhGoXhVjvfpsU8K2qJvO0nr2Sth0hA3"
       "kHUKG8V8EItP3D0XnT/OCtsBBXEyKCbeBOLcSO2MiPPn0OQ1KBG3Vo=")


def envelope(message, n, fields=None, extra=(), message_raw=None):
    """An SNS notification as SNS delivers it to SQS (not raw delivery):
    https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html"""
    f = [("Type", s("Notification")),
         ("MessageId", s("7f4c2b1e-3d5a-5e6f-8a9b-%012d" % n)),
         ("TopicArn", s(ARN)),
         ("Message", message_raw if message_raw is not None else s(message)),
         ("Timestamp", s("2026-11-30T07:15:%02d.%03dZ" % (n % 60, n % 1000))),
         ("SignatureVersion", s("1")),
         ("Signature", s(SIG)),
         ("SigningCertURL", s("https://sns.eu-west-1.amazonaws.com/"
                              "SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem")),
         ("UnsubscribeURL", s("https://sns.eu-west-1.amazonaws.com/?Action="
                              "Unsubscribe&SubscriptionArn=" + ARN +
                              ":4b2f2a1c-1111-4222-8333-%012d" % n))]
    if fields is not None:
        f = fields(f)
    f.extend(extra)
    return obj(f)


def esc(text):
    """Every character of text as a \\uXXXX escape (inside a JSON string)."""
    out = []
    for ch in text:
        o = ord(ch)
        if o > 0xFFFF:
            o -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (o >> 10), 0xDC00 + (o & 0x3FF)))
        else:
            out.append("\\u%04x" % o)
    return "".join(out)


# ---------------------------------------------------------------- the rows

ROWS = []


def R(name, body, expect, field="", rule="", source="", decided=True):
    ROWS.append({"name": name, "body": body, "expect": expect, "field": field,
                 "rule": rule, "source": source, "decided_by_docs": decided})


def ok(name, body, rule, source, decided=True):
    R(name, body, "stored", "", rule, source, decided)


def bad(name, body, field, rule, source, decided=True):
    R(name, body, "rejected", field, rule, source, decided)


def oid(name):
    return "h3-" + name

# Sources, as named in each row's "source".
DOCS = "docs/handler.md"
J = "RFC 8259"
SNS = "Amazon SNS message format (HTTP/HTTPS notification JSON; SQS delivery)"
SQS = "SQS SendMessage MessageBody allowed characters"
T = "RFC 3339"
ISO = "ISO 4217"
UNI = "Unicode"


def add_rows():
    o = lambda name, **kw: order(oid(name), **kw)  # noqa: E731

    # ------------------------------------------------ JSON text (RFC 8259)
    # ws = *( %x20 / %x09 / %x0A / %x0D ) around every structural token.
    ok("json-ws-leading", " \r\n\t" + o("json-ws-leading"),
       "JSON-text = ws value ws: whitespace before the object is not data",
       J + " 2 (JSON-text)", False)
    base = o("json-ws-pretty-crlf", items='[{"sku":"A-1","quantity":1,"unitPrice":"1.00"}]')
    pretty = json.dumps(json.loads(base), indent="\t").replace("\n", "\r\n")
    ok("json-ws-pretty-crlf", pretty,
       "tab-indented with CRLF line ends: all four ws characters", J + " 2 (ws)", False)
    ws_all = o("json-ws-everywhere").replace(",", " ,\t").replace(":", "\r\n: ").replace("{", "{ ").replace("[", "[\n")
    ok("json-ws-everywhere", ws_all, "ws around every structural character",
       J + " 2 (begin-object, name-separator, value-separator)", False)
    for n, ch, what in [("nbsp", "\u00a0", "U+00A0 NO-BREAK SPACE"),
                        ("formfeed", "\f", "U+000C FORM FEED (\\f is an escape, not ws)"),
                        ("ls", "\u2028", "U+2028 LINE SEPARATOR"),
                        ("zwnbsp-inside", "\ufeff", "U+FEFF between tokens"),
                        ("ideographic-space", "\u3000", "U+3000 IDEOGRAPHIC SPACE")]:
        if ch == "\f":
            continue  # U+000C is outside SQS's allowed set: cannot be sent
        bad("json-ws-" + n, o("json-ws-" + n).replace(",", "," + ch, 1), "body",
            what + " is not JSON whitespace (ws is space, tab, LF, CR only)",
            J + " 2 (ws)")
    # Escapes (section 7).
    ok("json-esc-solidus", o("json-esc-solidus", items='[{"sku":"A\\/1","quantity":1,"unitPrice":"1.00"}]'),
       "\\/ is an escape for / (sku A/1)", J + " 7")
    ok("json-esc-oid-all", order(None, pairs=[("orderId", '"' + esc(oid("json-esc-oid-all")) + '"'),
                                              ("customerId", '"c-1"'), ("items", "[" + item() + "]"),
                                              ("currency", '"EUR"'), ("total", '"1.00"')]),
       "every character of orderId as a \\u escape: the id is the decoded string", J + " 7")
    ok("json-esc-upper-hex", o("json-esc-upper-hex", cust='"\\u00C4\\u00d6\\u00DCc"'),
       "\\u00C4 (upper-case hex digits) and \\u00d6 (lower): HEXDIG is case-insensitive",
       J + " 7 (HEXDIG)")
    ok("json-esc-names", order(None, pairs=[(esc("orderId"), s(oid("json-esc-names"))),
                                            (esc("customerId"), '"c-1"'),
                                            (esc("items"), "[" + obj([(esc("sku"), '"A-1"'), (esc("quantity"), "1"), (esc("unitPrice"), '"1.00"')]) + "]"),
                                            (esc("currency"), '"EUR"'), (esc("total"), '"1.00"')]),
       "every member name written as \\u escapes: names compare after unescaping", J + " 7, 8.3")
    ok("json-esc-currency", o("json-esc-currency", currency='"' + esc("EUR") + '"'),
       "currency \\u0045\\u0055\\u0052 is the string EUR", J + " 7; " + DOCS + " currency")
    ok("json-esc-amounts", o("json-esc-amounts", items='[{"sku":"A-1","quantity":1,"unitPrice":"\\u0031.\\u00300"}]', total='"1\\u002e00"'),
       "amount strings written with escapes decode to 1.00: a decimal string is the decoded string",
       J + " 7; " + DOCS + " unitPrice")
    ok("json-esc-created", o("json-esc-created", created='"2026-11-26\\u005414:37:00\\u005a"'),
       "createdAt with T and Z as \\u0054 and \\u005a decodes to 2026-11-26T14:37:00Z",
       J + " 7; " + T + " 5.6")
    ok("json-esc-pair-upper", o("json-esc-pair-upper", cust='"c-\\uD83D\\uDE00"'),
       "a surrogate pair in upper-case hex is U+1F600", J + " 7 (UTF-16 surrogate pair)")
    for n, raw, what in [("x", "\\x41", "\\x41"), ("single-quote", "\\'", "\\'"),
                         ("upper-u", "\\U0041", "\\U0041"), ("short-u", "\\u41", "\\u41 (two hex digits)"),
                         ("zero", "\\0", "\\0")]:
        bad("json-esc-bad-" + n, o("json-esc-bad-" + n, cust='"c-' + raw + '"'), "body",
            what + " is not one of JSON's escapes: the body is not JSON", J + " 7 (escape)")
    for n, ch, what in [("tab", "\t", "a literal TAB"), ("lf", "\n", "a literal LF"),
                        ("cr", "\r", "a literal CR"), ("us", "\u001f", None)]:
        if what is None:
            continue  # U+001F is outside SQS's allowed set: cannot be sent
        bad("json-raw-ctl-" + n, o("json-raw-ctl-" + n, cust='"c-' + ch + '-1"'), "body",
            what + " inside a string: U+0000-U+001F must be escaped, so the body is not JSON",
            J + " 7 (unescaped = %x20-21 / %x23-5B / %x5D-10FFFF)")
    # Numbers (section 6) in the one number field, quantity.
    bad("json-num-qty-neg-zero", o("json-num-qty-neg-zero", items='[{"sku":"A-1","quantity":-0,"unitPrice":"1.00"}]'),
        "items[0].quantity", "-0 is valid JSON with the value 0: below 1", J + " 6; " + DOCS + " quantity 1-1000000")
    for n, raw in [("lead-zero", "01"), ("plus", "+1"), ("trail-point", "1."), ("lead-point", ".5"),
                   ("hex", "0x1"), ("nan", "NaN"), ("inf", "Infinity"), ("neg-inf", "-Infinity"),
                   ("exp-no-digits", "1e")]:
        bad("json-num-qty-" + n, o("json-num-qty-" + n, items='[{"sku":"A-1","quantity":%s,"unitPrice":"1.00"}]' % raw),
            "body", raw + " is not a JSON number (int = zero / digit1-9 *DIGIT; frac needs digits)", J + " 6")
    for n, raw, why, dec in [
            ("exp-upper-1", "1E0", "1E0 is the integer 1 written with an exponent; like orders2's 1e3, expected rejected as not an integer literal", False),
            ("exp-frac-int", "1.5e1", "1.5e1 is 15 but written with a fraction and exponent; expected rejected as not an integer literal", False),
            ("near-one", "1.000000000000000000001", "not an integer (float64 would round it to 1)", True),
            ("huge-exp", "1e400", "1e400: valid JSON, far over 1000000 (and over float64)", True),
            ("tiny-exp", "1e-400", "1e-400: valid JSON, not an integer (float64 underflows it to 0)", True),
            ("2p53-plus1", "9007199254740993", "2^53+1: over 1000000 (and not a float64)", True),
            ("2p63", "9223372036854775808", "2^63: over 1000000 (and over int64)", True),
            ("2p64-plus1", "18446744073709551617", "2^64+1: over 1000000 (wraps to 1 in uint64)", True),
            ("true", "true", "a boolean is not an integer", True),
            ("array", "[1]", "an array is not an integer", True),
            ("object", '{"n":1}', "an object is not an integer", True),
            ("null", "null", "null for any field is rejected", True)]:
        bad("json-num-qty-" + n, o("json-num-qty-" + n, items='[{"sku":"A-1","quantity":%s,"unitPrice":"1.00"}]' % raw),
            "items[0].quantity", why, J + " 6; " + DOCS + " quantity integer 1-1000000", dec)
    bad("json-qty-missing", o("json-qty-missing", items='[{"sku":"A-1","unitPrice":"1.00"}]'),
        "items[0].quantity", "quantity absent: an item without a quantity has no amount; the docs give a range, not 'optional'; expected rejected",
        DOCS + " items[i].quantity", False)
    # Duplicate names (section 4: names SHOULD be unique; the docs: rejected).
    bad("json-dup-orderid-escaped", o("json-dup-orderid-escaped", extra=[(esc("orderId"), s(oid("json-dup-orderid-escaped")))]),
        "orderId", "orderId twice, once escaped, same value: still a name given twice", J + " 4; " + DOCS)
    bad("json-dup-items", o("json-dup-items", extra=[("items", "[" + item() + "]")]),
        "items", "items given twice", J + " 4; " + DOCS)
    bad("json-dup-second-item", o("json-dup-second-item", items="[" + item() + ',{"sku":"B-1","sku":"B-1","quantity":1,"unitPrice":"0"}]'),
        "items[1].sku", "sku twice in the second item", J + " 4; " + DOCS + " (at any depth)")
    bad("json-dup-price-escaped", o("json-dup-price-escaped", items='[{"sku":"A-1","quantity":1,"unitPrice":"1.00","unit\\u0050rice":"1.00"}]'),
        "items[0].unitPrice", "unitPrice and unit\\u0050rice are one name", J + " 4, 8.3; " + DOCS)
    # Unknown names that look like known ones.
    for n, name, why in [("zwsp", "order\u200bId", "orderId with U+200B inside"),
                         ("trailing-space", "orderId ", "orderId with a trailing space"),
                         ("cyrillic-c", "\u0441urrency", "currency with Cyrillic U+0441 for c"),
                         ("fullwidth", "\uff4frderId", "orderId with fullwidth U+FF4F for o")]:
        bad("json-name-" + n, o("json-name-" + n, extra=[(name, '"x"')]), name,
            why + ": an unknown field, named as sent", J + " 8.3 (names compare code unit by code unit); " + DOCS)
    # Nesting.
    deep = "[" * 100 + "]" * 100
    bad("json-deep-unknown", o("json-deep-unknown", extra=[("x", deep)]), "x",
        "an unknown field whose value nests 100 arrays", J + " 9 (nesting limits); " + DOCS + " unknown field")
    bad("json-deep-array", "[" * 20000 + "]" * 20000, "body",
        "20000 nested arrays (40 KB): not an order, and deeper than any parser's limit must be refused, not crash",
        J + " 9 (an implementation may set limits on nesting)")
    bad("json-deep-object-in-order", o("json-deep-object-in-order", extra=[("x", '{"a":' * 20000 + "1" + "}" * 20000)]),
        "body", "an unknown field nested 20000 objects deep (120 KB, over 64 KiB): the order is too large and too deep; expected the reason to name body",
        J + " 9; " + DOCS + " order at most 64 KiB", False)

    # ------------------------------------------------ SNS envelopes
    E = SNS
    ok("env-subject", envelope(o("env-subject"), 1, extra=()) .replace('"Message":', '"Subject":"order placed","Message":', 1),
       "Subject is present when the publisher gave one", E + " (Subject)")
    ok("env-sigv2", envelope(o("env-sigv2"), 2).replace('"SignatureVersion":"1"', '"SignatureVersion":"2"'),
       "SignatureVersion 2 (SHA256withRSA)", E + " (SignatureVersion)")
    ok("env-attrs", envelope(o("env-attrs"), 3, extra=[("MessageAttributes", '{"source":{"Type":"String","Value":"web"},"priority":{"Type":"Number","Value":"3"}}')]),
       "MessageAttributes (String and Number) as SNS adds them to a notification", E + " (MessageAttributes)")
    ok("env-attrs-binary", envelope(o("env-attrs-binary"), 4, extra=[("MessageAttributes", '{"blob":{"Type":"Binary","Value":"AQID"}}')]),
       "a Binary message attribute (base64 value)", E + " (MessageAttributes)")
    ok("env-member-order", envelope(o("env-member-order"), 5, fields=lambda f: list(reversed(f))),
       "the envelope's members in reverse order: member order is not significant", E + "; " + J + " 4")
    ok("env-pretty", json.dumps(json.loads(envelope(o("env-pretty"), 6)), indent=2),
       "the envelope pretty-printed", E + "; " + J + " 2", False)
    ok("env-minimal", obj([("Type", '"Notification"'), ("TopicArn", s(ARN)), ("Message", s(o("env-minimal")))]),
       "only Type, TopicArn and Message: the docs define a notification by Type and TopicArn",
       DOCS + " Delivery forms", False)
    ok("env-literal-unicode", envelope(o("env-literal-unicode", cust=s("Zo\u00eb \u6771\u4eac \U0001F600")), 7),
       "non-ASCII characters literal in Message (SNS does not escape them)", E + "; " + J + " 7")
    ok("env-message-u-escapes", envelope(None, 8, message_raw='"' + esc(o("env-message-u-escapes")) + '"'),
       "every character of Message written as a \\u escape", E + "; " + J + " 7")
    ok("env-fifo", envelope(o("env-fifo"), 9, extra=[("SequenceNumber", '"10000000000000021000"')]),
       "a notification from a FIFO topic carries SequenceNumber; expected stored (a vendor field, not the producer's)",
       E + " (FIFO topics)", False)
    ok("env-unknown-field", envelope(o("env-unknown-field"), 10, extra=[("Foo", '"bar"')]),
       "an envelope field the docs do not list: the envelope is SNS's format, which may grow; expected stored (unlike an unknown field in the order)",
       E, False)
    ok("env-text-in-values", o("env-text-in-values", cust=s('{"Type":"Notification","TopicArn":"' + ARN + '"}')),
       "a raw order whose customerId holds the text of an envelope: a value, not fields", DOCS + " Delivery forms")
    for n, t, extra in [("subscription-confirmation", "SubscriptionConfirmation",
                         [("Token", '"2336412f37fb687f5d51e6e2425c464de"'),
                          ("SubscribeURL", s("https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + ARN))]),
                        ("unsubscribe-confirmation", "UnsubscribeConfirmation",
                         [("Token", '"2336412f37fb687f5d51e6e2425c464de"'),
                          ("SubscribeURL", s("https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + ARN))]),
                        ("lower", "notification", []), ("empty", "", [])]:
        bad("env-type-" + n, envelope("You have chosen to subscribe to the topic " + ARN if extra else o("env-type-" + n), 20 + len(n), extra=extra).replace('"Type":"Notification"', '"Type":' + s(t)),
            "Type", "Type %s is not a Notification: no order to store; expected the reason to name Type" % s(t),
            E + " (Type)", False)
    bad("env-type-null", envelope(o("env-type-null"), 31).replace('"Type":"Notification"', '"Type":null'),
        "Type", "Type null; expected rejected naming Type", E + "; " + DOCS + " (null)", False)
    for n, raw, why in [("object", o("env-message-object"), "Message is the order as a JSON object, not a string"),
                        ("null", "null", "Message null"),
                        ("empty", '""', 'Message ""'),
                        ("ws", '"   "', "Message of spaces only"),
                        ("array", s("[" + o("env-message-array") + "]"), "Message is a JSON array holding the order"),
                        ("number", '"42"', "Message is a JSON number"),
                        ("bom", s("\ufeff" + o("env-message-bom")), "Message starts with a BOM"),
                        ("trailing", s(o("env-message-trailing") + " x"), "trailing data after the order in Message"),
                        ("truncated", s(o("env-message-truncated")[:-1]), "Message ends before the order does")]:
        bad("env-message-" + n, envelope(None, 40 + len(n), message_raw=raw), "Message",
            why + ": a fault of the order as a whole, in an envelope, names Message", DOCS + " Delivery forms; " + E,
            n in ("trailing", "truncated", "empty", "ws", "number", "array"))
    bad("env-message-missing", envelope(None, 50, fields=lambda f: [x for x in f if x[0] != "Message"]),
        "Message", "a notification without Message: expected rejected naming Message", E, False)
    bad("env-nested", envelope(envelope(o("env-nested"), 51), 52), "Message",
        "Message is itself an SNS notification: an order with unknown fields Type, TopicArn, Message..., no orderId",
        DOCS + " Delivery forms; " + E)
    bad("env-raw-message-field", o("env-raw-message-field", extra=[("Message", '"x"')]), "Message",
        "a raw order with a field named Message (no Type/TopicArn): an unknown field", DOCS + " Delivery forms")
    bad("env-raw-type-message", o("env-raw-type-message", extra=[("Type", '"Notification"'), ("Message", '"x"')]), "Type",
        "Type and Message but no TopicArn: an order with unknown fields", DOCS + " Delivery forms")
    bad("env-dup-type", envelope(o("env-dup-type"), 53, extra=[("Type", '"Notification"')]), "Type",
        "Type given twice in the envelope", DOCS + " (a field given twice ... in the envelope)")
    bad("env-dup-topicarn", envelope(o("env-dup-topicarn"), 54, extra=[("TopicArn", s(ARN))]), "TopicArn",
        "TopicArn given twice in the envelope", DOCS + " (a field given twice ... in the envelope)")
    bad("env-outer-lone-surrogate", envelope(None, 55, message_raw=s(o("env-outer-lone-surrogate", cust='"c-SUR"')).replace("SUR", "\\ud800")),
        "Message", "a \\ud800 escape in the envelope's Message string (the outer JSON): rejected naming the field, not read as U+FFFD",
        DOCS + "; " + J + " 8.2")
    bad("env-inner-lone-surrogate", envelope(o("env-inner-lone-surrogate", cust='"c-\\udc00"'), 56), "customerId",
        "a \\udc00 escape inside the order in Message", DOCS + "; " + J + " 8.2")
    bad("env-inner-fffe-escaped", envelope(o("env-inner-fffe-escaped", cust='"c-\\ufffe"'), 57), "customerId",
        "\\ufffe inside the order in Message: a U+FFFE in customerId", DOCS + " (U+FFFE, U+FFFF as characters or escapes)")
    bad("env-outer-ffff-escaped", envelope(None, 58, message_raw=s(o("env-outer-ffff-escaped", cust='"c-NC"')).replace("NC", "\\uffff")),
        "Message", "\\uffff in the envelope's Message string: Message then holds U+FFFF (the body itself is ASCII, so SQS carried it); expected the reason to name Message",
        DOCS + " (U+FFFE, U+FFFF)", False)
    bad("env-inner-unknown", envelope(o("env-inner-unknown", extra=[("note", '"gift"')]), 59), "note",
        "an unknown field in the order inside an envelope", DOCS)
    bad("env-body-is-string", s(envelope(o("env-body-is-string"), 60)), "body",
        "the body is a JSON string holding a notification: not an order", DOCS)

    # ------------------------------------------------ ids and strings (Unicode)
    OIDR = DOCS + " orderId (1-64 of A-Z a-z 0-9 _ -)"
    for n, v, why in [("zwsp", "h3-u\u200b1", "U+200B ZERO WIDTH SPACE inside"),
                      ("rlm", "\u200fh3-u2", "U+200F RIGHT-TO-LEFT MARK before"),
                      ("fullwidth-digit", "h3-u\uff14", "U+FF14 FULLWIDTH DIGIT FOUR"),
                      ("kelvin", "h3-\u212a5", "U+212A KELVIN SIGN (folds to K)"),
                      ("dotless-i", "h3-\u0131d", "U+0131 LATIN SMALL LETTER DOTLESS I (upper-cases to I)"),
                      ("nfd", "h3-e\u0301", "e + U+0301 COMBINING ACUTE"),
                      ("nb-hyphen", "h3\u2011u", "U+2011 NON-BREAKING HYPHEN for -"),
                      ("soft-hyphen", "h3-\u00adu", "U+00AD SOFT HYPHEN"),
                      ("escaped-nul", None, "\\u0000 at the end")]:
        raw = s(v) if v is not None else '"h3-u\\u0000"'
        bad("oid-" + n, order(None, pairs=[("orderId", raw), ("customerId", '"c-1"'), ("items", "[" + item() + "]"),
                                           ("currency", '"EUR"'), ("total", '"1.00"')]),
            "orderId", why + ": not one of A-Z a-z 0-9 _ -", OIDR + "; " + UNI)
    for n, v in [("one-char", "Z"), ("underscore-only", "_"), ("dash-only", "-"), ("digits", "0123456789")]:
        ok("oid-" + n, order(v), "orderId %s: 1-64 characters of the set" % s(v), OIDR)
    ok("oid-64-escaped", order(None, pairs=[("orderId", '"' + esc("h3-" + "e" * 61) + '"'), ("customerId", '"c-1"'),
                                            ("items", "[" + item() + "]"), ("currency", '"EUR"'), ("total", '"1.00"')]),
       "64 characters, each written \\u00XX (384 bytes in the body): characters are counted after decoding", OIDR + "; " + J + " 7")
    bad("oid-65-escaped", order(None, pairs=[("orderId", '"' + esc("h3-" + "f" * 62) + '"'), ("customerId", '"c-1"'),
                                             ("items", "[" + item() + "]"), ("currency", '"EUR"'), ("total", '"1.00"')]),
        "orderId", "65 characters, each escaped", OIDR)
    ok("oid-case-upper", order("h3-CASE"), "h3-CASE", OIDR)
    ok("oid-case-lower", order("h3-case"), "h3-case is another id (DynamoDB keys are compared byte by byte): stored, not a duplicate",
       OIDR + "; DynamoDB key attributes")
    bad("oid-case-space", order("h3-CASE "), "orderId", "h3-CASE with a trailing space", OIDR)

    CID = DOCS + " customerId (at most 128 characters; no control characters)"
    for n, v, why, dec in [
            ("rlo", "c-\u202eevil", "U+202E RIGHT-TO-LEFT OVERRIDE is a format character (Cf), not a control character (Cc)", False),
            ("zwsp", "c-\u200b1", "U+200B ZERO WIDTH SPACE (Cf)", False),
            ("zwj-emoji", "c-\U0001F468\u200d\U0001F469\u200d\U0001F467", "a ZWJ emoji sequence (Cf joiners)", False),
            ("tag-chars", "c-\U000E0041\U000E007F", "tag characters U+E0041, U+E007F (Cf, astral)", False),
            ("bom-inside", "c-\ufeff1", "U+FEFF inside a string is ZERO WIDTH NO-BREAK SPACE (Cf)", False),
            ("private-use", "c-\ue000\uf8ff", "private-use U+E000 and U+F8FF", True),
            ("nonchar-10ffff", "c-\U0010ffff", "U+10FFFF: a noncharacter SQS carries (#x10000-#x10FFFF); the docs refuse only U+FFFE/U+FFFF", True),
            ("nonchar-1fffe", "c-\U0001fffe", "U+1FFFE: a noncharacter SQS carries", True),
            ("nonchar-fdef", "c-\ufdef", "U+FDEF: a noncharacter within #xE000-#xFFFD", True),
            ("fffd", "c-\ufffd", "U+FFFD, the last allowed BMP character", True),
            ("nbsp", "c-\u00a01", "U+00A0 NO-BREAK SPACE (Zs)", True),
            ("tilde", "c-~", "U+007E, the last printable ASCII character", True),
            ("rtl-text", "\u05e9\u05dc\u05d5\u05dd-\u0627\u0644\u0633\u0644\u0627\u0645", "Hebrew and Arabic letters", True),
            ("nfc", "Zo\u00eb", "NFC", True)]:
        ok("cust-" + n, o("cust-" + n, cust=s(v)), why, CID + "; " + UNI + " general categories", dec)
    for n, raw, why, dec in [("c1-first", "\\u0080", "U+0080, the first C1 control (Cc)", False),
                             ("c1-last", "\\u009f", "U+009F, the last C1 control (Cc)", False),
                             ("escaped-tab", "\\u0009", "TAB written \\u0009 (Cc)", True),
                             ("escaped-esc", "\\u001b", "ESC written \\u001b (Cc)", True),
                             ("escaped-fffe-upper", "\\uFFFE", "\\uFFFE in upper-case hex", True),
                             ("escaped-ffff-pair-before", "\\ud83d\\ude00\\uffff", "a valid pair then \\uffff", True),
                             ("two-highs", "\\ud83d\\ud83d", "two high surrogates", True),
                             ("high-at-end", "\\ud83d", "a high surrogate escape at the end of the string", True)]:
        bad("cust-" + n, o("cust-" + n, cust='"c-' + raw + '"'), "customerId", why, CID + "; " + UNI, dec)
    ok("cust-128-nfd", o("cust-128-nfd", cust=s("e\u0301" * 64)),
       "64 x (e + U+0301): 128 characters (code points), 64 graphemes; characters taken as code points as orders2 does", CID, False)
    bad("cust-130-nfd", o("cust-130-nfd", cust=s("e\u0301" * 65)), "customerId",
        "65 x (e + U+0301): 130 code points though 65 graphemes", CID, False)
    ok("cust-100-astral-escaped", o("cust-100-astral-escaped", cust='"' + "\\ud83d\\ude00" * 100 + '"'),
       "100 U+1F600 as escaped pairs: 100 characters, 200 UTF-16 code units, 400 bytes; counted as code points", CID, False)
    bad("cust-number", o("cust-number", cust="42"), "customerId", "a JSON number for a string field", CID)
    bad("cust-array", o("cust-array", cust='["c-1"]'), "customerId", "an array for a string field", CID)
    SKU = DOCS + " items[i].sku"
    bad("sku-lone-low", o("sku-lone-low", items='[{"sku":"A-\\udc00","quantity":1,"unitPrice":"1.00"}]'),
        "items[0].sku", "a lone low surrogate escape in a sku", SKU + "; " + J + " 8.2")
    bad("sku-escaped-nul-second", o("sku-escaped-nul-second", items="[" + item() + ',{"sku":"B-\\u0000","quantity":1,"unitPrice":"0"}]'),
        "items[1].sku", "NUL escaped in the second item's sku", SKU)
    bad("sku-ffff-second", o("sku-ffff-second", items="[" + item() + ',{"sku":"B-\\uffff","quantity":1,"unitPrice":"0"}]'),
        "items[1].sku", "\\uffff in the second item's sku", SKU + " (U+FFFF)")
    ok("sku-spaces", o("sku-spaces", items='[{"sku":" A 1 ","quantity":1,"unitPrice":"1.00"}]'),
       "leading, inner and trailing spaces: no rule against them; stored as sent", SKU, False)
    ok("sku-arabic-indic", o("sku-arabic-indic", items='[{"sku":"\u0661\u0662\u0663","quantity":1,"unitPrice":"1.00"}]'),
       "Arabic-Indic digits in a sku (a string, not an amount)", SKU)
    bad("sku-object", o("sku-object", items='[{"sku":{"id":"A-1"},"quantity":1,"unitPrice":"1.00"}]'),
        "items[0].sku", "an object for a string field", SKU)

    # ------------------------------------------------ amounts and totals
    AMT = DOCS + " unitPrice (decimal string; no sign, exponent or leading zero; at most 12 digits before the point; no more decimals than the currency has)"

    def priced(name, price, total='"1.00"', currency='"EUR"', qty="1"):
        return o(name, items='[{"sku":"A-1","quantity":%s,"unitPrice":%s}]' % (qty, price), currency=currency, total=total)

    for n, v, why in [("zwsp", "1\u200b.00", "U+200B inside"),
                      ("rlm", "\u200f1.00", "U+200F before"),
                      ("nbsp-after", "1.00\u00a0", "U+00A0 after"),
                      ("devanagari", "\u0967.\u0966\u0966", "Devanagari digits (Nd, not ABNF DIGIT)"),
                      ("math-bold", "\U0001D7CF.00", "U+1D7CF MATHEMATICAL BOLD DIGIT ONE (astral)"),
                      ("fullwidth-point", "1\uff0e00", "U+FF0E FULLWIDTH FULL STOP for the point"),
                      ("arabic-decimal-sep", "1\u066b00", "U+066B ARABIC DECIMAL SEPARATOR"),
                      ("minus-sign", "\u22121.00", "U+2212 MINUS SIGN"),
                      ("thousands-comma", "1,000.00", "a thousands separator"),
                      ("thousands-space", "1 000.00", "a space as thousands separator"),
                      ("plus-zero", "+0", "a plus sign on zero"),
                      ("minus-zero-frac", "-0.00", "a minus sign on zero with decimals"),
                      ("exp-negative", "100e-2", "100e-2 is 1.00, but an exponent"),
                      ("double-zero", "00", "two zeros"),
                      ("currency-suffix", "1.00 EUR", "the currency written in the amount"),
                      ("five-dp", "1.00001", "five decimals for EUR (the reason should say decimal places, not digits before the point)"),
                      ("long-zero-frac", "1." + "0" * 20, "twenty zero decimals: the value fits, the decimals do not"),
                      ("39-digits", "1" * 39, "39 digits: over 12 (and over DynamoDB's 38 significant digits)")]:
        bad("amt-" + n, priced("amt-" + n, s(v)), "items[0].unitPrice", why, AMT + "; " + UNI if ord(max(v)) > 127 else AMT)
    for n, raw in [("object", '{"amount":"1.00"}'), ("array", '["1.00"]'), ("true", "true"), ("null", "null")]:
        bad("amt-" + n, priced("amt-" + n, raw), "items[0].unitPrice", "unitPrice as %s: not a decimal string" % n, AMT)
    for n, price, code, dp in [("eur-3dp-zero", "0.000", "EUR", 2), ("kwd-4dp-zeros", "1.0000", "KWD", 3),
                              ("uyw-5dp-zeros", "1.00000", "UYW", 4), ("jpy-1dp-zero", "0.0", "JPY", 0),
                              ("isk-2dp", "100.00", "ISK", 0), ("omr-4dp", "0.0005", "OMR", 3)]:
        bad("amt-" + n, priced("amt-" + n, s(price), total=s(price), currency=s(code)), "items[0].unitPrice",
            "%s in %s: %d decimals written, the currency has %d (decimals count as written)" % (price, code, len(price.split(".")[1]), dp),
            AMT + "; " + ISO + " Table A.1 minor unit")
    ok("amt-eur-zero-1dp", priced("amt-eur-zero-1dp", '"0.0"', total='"0.00"'), "0.0 EUR: one decimal of two", AMT)
    ok("amt-kwd-max", priced("amt-kwd-max", '"999999999999.999"', total='"999999999999.999"', currency='"KWD"'),
       "12 digits and 3 decimals in KWD: 15 significant digits", AMT + "; " + ISO + " KWD 3")
    ok("amt-uyw-max", priced("amt-uyw-max", '"999999999999.9999"', total='"999999999999.9999"', currency='"UYW"'),
       "12 digits and 4 decimals in UYW: 16 significant digits, more than float64 holds exactly", AMT + "; " + ISO + " UYW 4")
    ok("amt-jpy-max", priced("amt-jpy-max", '"999999999999"', total='"999999999999"', currency='"JPY"'),
       "12 digits, JPY", AMT)
    bad("amt-jpy-13", priced("amt-jpy-13", '"1000000000000"', total='"1000000000000"', currency='"JPY"'),
        "items[0].unitPrice", "13 digits, JPY", AMT)
    TOT = DOCS + " total (as unitPrice, and equal to the sum of quantity x unitPrice)"
    ok("tot-kwd-fewer-dp", priced("tot-kwd-fewer-dp", '"0.125"', total='"1"', currency='"KWD"', qty="8"),
       "8 x 0.125 = 1.000 KWD written 1: fewer decimals are fine", TOT)
    ok("tot-eur-one-dp", priced("tot-eur-one-dp", '"2.50"', total='"20.0"', qty="8"), "8 x 2.50 = 20.0", TOT)
    ok("tot-kwd-thirds", priced("tot-kwd-thirds", '"0.333"', total='"0.999"', currency='"KWD"', qty="3"),
       "3 x 0.333 = 0.999 exactly", TOT)
    bad("tot-kwd-thirds-rounded", priced("tot-kwd-thirds-rounded", '"0.333"', total='"1.000"', currency='"KWD"', qty="3"),
        "total", "3 x 0.333 is 0.999, not 1.000 (no rounding)", TOT)
    ok("tot-kwd-million-fils", priced("tot-kwd-million-fils", '"0.001"', total='"1000"', currency='"KWD"', qty="1000000"),
       "1000000 x 0.001 = 1000.000", TOT)
    ok("tot-uyw-100-items", o("tot-uyw-100-items", items="[" + ",".join(item("S-%d" % i, "1000000", '"0.0001"') for i in range(100)) + "]",
                              currency='"UYW"', total='"10000"'),
       "100 items x 1000000 x 0.0001 = 10000.0000", TOT)
    ok("tot-uyw-float-trap", o("tot-uyw-float-trap", items="[" + item("A-1", "1", '"999999999999.9998"') + "," + item("B-1", "1", '"0.0001"') + "]",
                               currency='"UYW"', total='"999999999999.9999"'),
       "999999999999.9998 + 0.0001 = 999999999999.9999 exactly", TOT)
    bad("tot-uyw-float-trap-off", o("tot-uyw-float-trap-off", items="[" + item("A-1", "1", '"999999999999.9998"') + "," + item("B-1", "1", '"0.0001"') + "]",
                                    currency='"UYW"', total='"999999999999.9998"'),
        "total", "off by 0.0001 at 16 significant digits (float64's spacing there is 0.000122)", TOT)
    bad("tot-eur-int64-wrap", o("tot-eur-int64-wrap", items="[" + item("A-1", "1000000", '"184467440737.09"') + "," + item("B-1", "1", '"5517.16"') + "]",
                                total='"1.00"'),
        "total", "the sum is 184467440737095517.16 = (2^64 + 100) cents: a 64-bit sum in cents wraps to 1.00", TOT)
    bad("tot-uyw-int64-wrap", o("tot-uyw-int64-wrap", items="[" + item("A-1", "1000000", '"1844674407.3709"') + "," + item("B-1", "1", '"56.1616"') + "]",
                                currency='"UYW"', total='"1"'),
        "total", "the sum is (2^64 + 10000) ten-thousandths: a 64-bit sum in minor units wraps to 1.0000", TOT)
    for n, raw in [("null", "null"), ("number", "1.00"), ("array", '["1.00"]'), ("object", "{}")]:
        bad("tot-" + n, o("tot-" + n, total=raw), "total", "total as %s" % n, TOT)

    # ------------------------------------------------ createdAt (RFC 3339)
    TSR = T + " 5.6"
    LEAP = T + " 5.7 (leap second shifted by the offset); " + DOCS + " createdAt (a leap second is the last second of a month in UTC)"

    def at(name, ts):
        return o(name, created=s(ts))

    for n, ts, why, src, dec in [
            ("off-0545", "2026-11-26T20:22:00+05:45", "+05:45 (Nepal): minutes not a multiple of 30", TSR + " time-numoffset", True),
            ("off-1245", "2026-11-27T03:22:00+12:45", "+12:45 (Chatham Islands)", TSR, True),
            ("off-0930-neg", "2026-11-26T05:07:00-09:30", "-09:30 (Marquesas)", TSR, True),
            ("frac-60-digits", "2026-11-26T14:37:00." + "1234567890" * 6 + "Z", "a 60-digit fraction: time-secfrac = \".\" 1*DIGIT has no upper bound", TSR + " time-secfrac", False),
            ("leapsec-0530", "2017-01-01T05:29:60+05:30", "5:29:60+05:30 is 2016-12-31T23:59:60Z", LEAP, True),
            ("leapsec-minus5", "2016-12-31T18:59:60-05:00", "18:59:60-05:00 is 23:59:60Z", LEAP, True),
            ("leapsec-plus1-next-day", "2017-01-01T00:59:60+01:00", "00:59:60+01:00 is the previous day's 23:59:60Z", LEAP, True),
            ("leapsec-minus00", "2016-12-31T23:59:60-00:00", "-00:00 is UTC (4.3)", LEAP + "; " + T + " 4.3", True),
            ("leapsec-frac", "2016-12-31T23:59:60.999Z", "a fraction within the leap second", LEAP, True),
            ("leapsec-march", "2026-03-31T23:59:60Z", "the last second of March in UTC: the docs take any month's last second (no table); RFC 3339 5.7 allows a leap second at the end of any month", LEAP, True),
            ("leapsec-feb-leap-year", "2024-02-29T23:59:60Z", "the last second of February 2024 (a leap year)", LEAP, True),
            ("leapsec-feb-common", "2026-02-28T23:59:60Z", "the last second of February 2026", LEAP, True),
            ("leapsec-odd-offset", "2026-04-01T02:00:60+02:01", "02:00:60+02:01 is 2026-03-31T23:59:60Z", LEAP, True),
            ("y2400-feb29", "2400-02-29T12:00:00Z", "2400 is divisible by 400: a leap year", T + " 5.7; Appendix C", True),
            ("y1600-feb29", "1600-02-29T12:00:00Z", "1600: a leap year", T + " 5.7; Appendix C", True),
            ("y0004-feb29", "0004-02-29T12:00:00Z", "year 4: a leap year by the proleptic Gregorian rule", T + " 5.7; Appendix C", False),
            ("y9999-utc-10000", "9999-12-31T23:59:59-23:59", "grammatical; the instant is in year 10000 UTC, which 4DIGIT cannot write; expected stored as sent", TSR, False),
            ("y0000-utc-minus1", "0000-01-01T00:00:00+23:59", "grammatical; the instant is in year -1 UTC; expected stored as sent", TSR, False),
            ("escaped-lower-tz", "2026-11-26t14:37:00.5z", "t and z with a fraction", TSR + " NOTE; " + DOCS, True)]:
        ok("ts-" + n, at("ts-" + n, ts), why, src, dec)
    for n, ts, why, src in [
            ("leapsec-plus1-same-day", "2016-12-31T23:59:60+01:00", "23:59:60+01:00 is 22:59:60Z: not the last second of a month in UTC", LEAP),
            ("leapsec-feb28-leap-year", "2024-02-28T23:59:60Z", "February 28 in a leap year is not the month's last day", LEAP),
            ("leapsec-2358", "2016-12-31T23:58:60Z", "23:58:60 on the last day", LEAP),
            ("leapsec-2259", "2016-12-31T22:59:60Z", "22:59:60 on the last day", LEAP),
            ("leapsec-0530-wrong", "2016-12-31T23:59:60+05:30", "23:59:60+05:30 is 18:29:60Z", LEAP),
            ("y2300-feb29", "2300-02-29T12:00:00Z", "2300 is not a leap year (divisible by 100, not 400)", T + " 5.7; Appendix C"),
            ("fullwidth-t", "2026-11-26\uff3414:37:00Z", "U+FF34 FULLWIDTH T for the separator", TSR + "; " + UNI),
            ("fullwidth-colon", "2026-11-26T14\uff1a37:00Z", "U+FF1A FULLWIDTH COLON", TSR + "; " + UNI),
            ("hyphen-u2010", "2026\u201011-26T14:37:00Z", "U+2010 HYPHEN for -", TSR + "; " + UNI),
            ("en-dash-offset", "2026-11-26T14:37:00\u201305:00", "U+2013 EN DASH as the offset sign", TSR + "; " + UNI),
            ("zwsp", "2026-11-26T14:37\u200b:00Z", "U+200B inside", TSR + "; " + UNI),
            ("rlm-prefix", "\u200f2026-11-26T14:37:00Z", "U+200F before", TSR + "; " + UNI),
            ("nbsp-separator", "2026-11-26\u00a014:37:00Z", "U+00A0 for T", TSR + "; " + UNI),
            ("fullwidth-frac", "2026-11-26T14:37:00.\uff15Z", "a fullwidth digit in the fraction", TSR + " (DIGIT = %x30-39)"),
            ("devanagari-year", "\u0968\u0966\u0968\u096c-11-26T14:37:00Z", "Devanagari digits in the year", TSR + " (DIGIT = %x30-39)"),
            ("offset-seconds", "2026-11-26T14:37:00+01:00:00", "an offset with seconds", TSR + " time-numoffset"),
            ("offset-frac", "2026-11-26T14:37:00+01:00.5", "an offset with a fraction", TSR + " time-numoffset"),
            ("frac-after-z", "2026-11-26T14:37:00Z.5", "the fraction after Z", TSR),
            ("z-and-lower-z", "2026-11-26T14:37:00Zz", "Z twice", TSR),
            ("escaped-nul-end", None, "\\u0000 after Z", TSR),
            ("second-frac-no-second", "2026-11-26T14:37.5Z", "a fraction of a minute, no seconds", TSR),
            ("leading-plus-year", "+2026-11-26T14:37:00Z", "a sign before the year", TSR + " date-fullyear = 4DIGIT")]:
        body = at("tsx-" + n, ts) if ts is not None else o("tsx-" + n, created='"2026-11-26T14:37:00Z\\u0000"')
        bad("tsx-" + n, body, "createdAt", why, src)
    for n, raw in [("object", '{"iso":"2026-11-26T14:37:00Z"}'), ("array", '["2026-11-26T14:37:00Z"]'), ("bool", "false")]:
        bad("tsx-" + n, o("tsx-" + n, created=raw), "createdAt", "createdAt as %s: a string is required" % n, DOCS + " createdAt")

    # ------------------------------------------------ re-sends
    IDEM = DOCS + " The stored item (payloadHash: fields as JSON, amounts at the currency's decimals, createdAt as the instant in UTC)"

    def g(name, cust='"c/42"', a="A-1", qa="2", pa='"9.99"', b="B-7", qb="1", pb='"0.02"',
          currency='"EUR"', total='"20.00"', created='"2026-11-26T14:37:00Z"', extra=(), swap=False):
        its = [item(a, qa, pa), item(b, qb, pb)]
        if swap:
            its.reverse()
        return order(oid(name), cust=cust, items="[" + ",".join(its) + "]", currency=currency,
                     total=total, created=created, extra=extra)

    ok("re-g", g("re-g"), "the original: customerId c/42, 2 x 9.99 + 1 x 0.02 = 20.00 EUR, 2026-11-26T14:37:00Z", IDEM)
    dup = lambda n, body, why, dec=True: R("re-g-" + n, body, "duplicate-of:re-g", "", why, IDEM, dec)  # noqa: E731
    con = lambda n, body, why, dec=True: R("re-g-" + n, body, "conflict-with:re-g", "", why, IDEM, dec)  # noqa: E731
    dup("same-bytes", g("re-g"), "the same bytes again (a redelivery)")
    dup("esc-letters", g("re-g", a='"\\u0041-1"'), "sku \\u0041-1 is A-1")
    dup("esc-solidus", g("re-g", cust='"c\\/42"'), "customerId c\\/42 is c/42")
    dup("esc-names", g("re-g").replace('"currency"', '"' + esc("currency") + '"').replace('"total"', '"tot\\u0061l"'),
        "member names written with escapes")
    dup("pretty-crlf", json.dumps(json.loads(g("re-g")), indent=4).replace("\n", "\r\n"), "pretty-printed with CRLF")
    dup("total-one-dp", g("re-g", total='"20.0"'), "20.0 is 20.00 EUR")
    dup("env-subject", envelope(g("re-g"), 70).replace('"Message":', '"Subject":"again","Message":', 1),
        "the same order in an SNS envelope with a Subject")
    dup("env-attrs", envelope(g("re-g", created='"2026-11-26T14:37:00.000Z"'), 71,
                              extra=[("MessageAttributes", '{"source":{"Type":"String","Value":"js"}}')]),
        "a JavaScript producer's toISOString() (.000Z), wrapped by SNS with attributes")
    dup("off-0545", g("re-g", created='"2026-11-26T20:22:00+05:45"'), "20:22+05:45 is 14:37Z")
    dup("off-minus-0930", g("re-g", created='"2026-11-26T05:07:00.00-09:30"'), "05:07:00.00-09:30 is 14:37Z")
    con("items-swapped", g("re-g", swap=True),
        "the same items in another order: a list's order is part of the fields as JSON; expected a conflict", False)
    con("sku-case", g("re-g", a="a-1"), "sku a-1 is not A-1")
    con("cust-space", g("re-g", cust='"c/42 "'), "customerId with a trailing space is another value")
    con("currency", g("re-g", currency='"USD"'), "the same digits in USD")
    con("one-second", g("re-g", created='"2026-11-26T14:37:01Z"'), "one second later")
    con("off-wall-clock", g("re-g", created='"2026-11-26T14:37:00+05:45"'), "the same wall clock in +05:45 is another instant")
    R("re-g-unknown-field", g("re-g", extra=[("note", '"again"')]), "rejected", "note",
      "a re-send with an unknown field is refused as any order is (not a duplicate)", DOCS, True)
    R("re-g-bad-decimals", g("re-g", pb='"0.020"'), "rejected", "items[1].unitPrice",
      "a re-send with 3 decimals in EUR is refused, whatever is stored", DOCS, True)
    R("re-g-created-empty", g("re-g", created='""'), "rejected", "createdAt",
      'createdAt "" is refused, not taken as absent', DOCS + " createdAt (never \"\")", True)

    ok("re-y", o("re-y", created='"2027-01-01T00:30:00Z"'), "an order at 2027-01-01T00:30:00Z", IDEM)
    R("re-y-prev-year", o("re-y", created='"2026-12-31T23:30:00-01:00"'), "duplicate-of:re-y", "",
      "2026-12-31T23:30:00-01:00 is the same instant, written in the previous year", IDEM, True)
    R("re-y-plus00-frac", o("re-y", created='"2027-01-01T00:30:00.000000+00:00"'), "duplicate-of:re-y", "",
      "+00:00 with six zero decimals", IDEM, True)
    R("re-y-plus1", o("re-y", created='"2026-12-31T23:30:00+01:00"'), "conflict-with:re-y", "",
      "23:30+01:00 on Dec 31 is 22:30Z: another instant", IDEM, True)
    ok("re-l", o("re-l", created='"2024-03-01T00:30:00Z"'), "an order just after a leap day", IDEM)
    R("re-l-leap-day", o("re-l", created='"2024-02-29T23:30:00-01:00"'), "duplicate-of:re-l", "",
      "February 29 23:30-01:00 is March 1 00:30Z", IDEM, True)
    ok("re-s", o("re-s", created='"2016-12-31T23:59:60Z"'), "an order in the leap second of 2016", IDEM)
    R("re-s-0530", o("re-s", created='"2017-01-01T05:29:60+05:30"'), "duplicate-of:re-s", "",
      "the same leap second in +05:30", LEAP, True)
    R("re-s-frac", o("re-s", created='"2016-12-31T23:59:60.000Z"'), "duplicate-of:re-s", "", ".000 in the leap second", LEAP, True)
    R("re-s-before", o("re-s", created='"2016-12-31T23:59:59.999Z"'), "conflict-with:re-s", "",
      "a millisecond before the leap second", LEAP, True)
    R("re-s-next-0530", o("re-s", created='"2017-01-01T05:30:00+05:30"'), "conflict-with:re-s", "",
      "05:30:00+05:30 is 2017-01-01T00:00:00Z, the second after the leap second", LEAP, True)
    ok("re-f", o("re-f", created='"2026-11-26T14:37:00.1Z"'), "a tenth of a second", IDEM)
    R("re-f-21-digits", o("re-f", created='"2026-11-26T14:37:00.100000000000000000000Z"'), "duplicate-of:re-f", "",
      "the same tenth with 21 digits", IDEM, True)
    R("re-f-sub-ns", o("re-f", created='"2026-11-26T14:37:00.1000000000000000000001Z"'), "conflict-with:re-f", "",
      "1e-22 s later: the docs keep the fraction to the last digit sent", IDEM, True)
    ok("re-x", o("re-x", created='"9999-12-31T23:59:59-23:59"'), "an instant in year 10000 UTC", IDEM + "; " + TSR, False)
    R("re-x-frac", o("re-x", created='"9999-12-31T23:59:59.0-23:59"'), "duplicate-of:re-x", "",
      "the same instant with .0: expected a duplicate (the UTC form needs a five-digit year)", IDEM, False)
    ok("re-k", o("re-k", items='[{"sku":"A-1","quantity":3,"unitPrice":"0.5"}]', currency='"KWD"', total='"1.5"'),
       "3 x 0.5 = 1.5 KWD", IDEM)
    R("re-k-fils", o("re-k", items='[{"sku":"A-1","quantity":3,"unitPrice":"0.500"}]', currency='"KWD"', total='"1.500"'),
      "duplicate-of:re-k", "", "0.500 and 1.500 KWD are 0.5 and 1.5 at 3 decimals", IDEM, True)
    R("re-k-one-fils-more", o("re-k", items='[{"sku":"A-1","quantity":3,"unitPrice":"0.501"}]', currency='"KWD"', total='"1.503"'),
      "conflict-with:re-k", "", "0.501 x 3 = 1.503: another amount", IDEM, True)
    ok("re-w", o("re-w", items='[{"sku":"A-1","quantity":1,"unitPrice":"0.5"}]', currency='"UYW"', total='"0.5"'),
       "0.5 UYW", IDEM)
    R("re-w-4dp", o("re-w", items='[{"sku":"A-1","quantity":1,"unitPrice":"0.5000"}]', currency='"UYW"', total='"0.50"'),
      "duplicate-of:re-w", "", "0.5000 and 0.50 UYW are 0.5", IDEM, True)
    ok("re-n", o("re-n", cust=s("Zo\u00eb")), "customerId Zo\u00eb in NFC", IDEM + "; " + UNI)
    R("re-n-nfd", o("re-n", cust=s("Zoe\u0308")), "conflict-with:re-n", "",
      "the same name in NFD (e + U+0308): canonically equivalent but other code points; the docs store fields as sent and do not normalise; expected a conflict",
      IDEM + "; " + UNI + " Annex 15", False)
    R("re-n-escaped", o("re-n", cust='"Zo\\u00eb"'), "duplicate-of:re-n", "", "\\u00eb is the same NFC character", IDEM, True)
    ok("re-a", o("re-a"), "an order without createdAt", IDEM)
    R("re-a-created", o("re-a", created='"2026-11-26T14:37:00Z"'), "conflict-with:re-a", "",
      "the same order with a createdAt: another payload", IDEM, True)
    R("re-a-created-empty", o("re-a", created='""'), "rejected", "createdAt",
      'createdAt "" is refused, not a duplicate of the order without one', DOCS + " createdAt", True)

    # ------------------------------------------------ currencies (ISO 4217)
    CUR = DOCS + " currency (a current ISO 4217 code, upper case, with its minor unit)"
    L1 = ISO + " Table A.1 (List One) as at 2026-01-01"

    def cur(name, code, price, qty=2):
        tot = Decimal(price) * qty
        return o(name, items='[{"sku":"A-1","quantity":%d,"unitPrice":%s}]' % (qty, s(price)),
                 currency=s(code), total=s(str(tot)))

    # 2 decimals in List One, several where CLDR's cash digits are 0 (CHF
    # rounds cash to 0.05, but its minor unit is still 2).
    for code in ["GBP", "CHF", "SEK", "CZK", "PKR", "CNY", "BRL", "KES", "TZS", "CRC", "AMD", "MNT", "GYD",
                 "MUR", "PAB", "BTN"]:
        ok("iso-%s-2dp" % code.lower(), cur("iso-%s-2dp" % code.lower(), code, "12.34"),
           "%s has 2 minor units" % code, L1 + "; " + CUR)
    for code in ["PKR", "CZK", "CRC", "MNT", "MUR", "CHF"]:
        bad("iso-%s-3dp" % code.lower(), cur("iso-%s-3dp" % code.lower(), code, "12.345"), "items[0].unitPrice",
            "%s has 2 minor units: 3 decimals refused" % code, L1 + "; " + CUR)
    # Taken by the docs (List One of 2024-06-25 still lists them).
    ok("iso-svc-2dp", cur("iso-svc-2dp", "SVC", "12.34"),
       "SVC (El Salvador colon) is in List One with 2 minor units; the docs say SVC is taken", L1 + "; " + DOCS)
    ok("iso-cuc-2dp", cur("iso-cuc-2dp", "CUC", "12.34"),
       "CUC: the docs say it is taken (List One of 2024-06-25 lists it); orders2 expected it withdrawn (see README)",
       DOCS + " currency (CUC and SVC are taken)")
    # 0 decimals: a zero total.
    ok("iso-jpy-zero-total", o("iso-jpy-zero-total", items='[{"sku":"A-1","quantity":5,"unitPrice":"0"}]',
                                 currency='"JPY"', total='"0"'), "a free item in JPY", L1 + "; " + CUR)
    ok("iso-clp-int", cur("iso-clp-int", "CLP", "990"), "CLP has 0 minor units", L1)
    # Withdrawn (List Three): refused, silent.
    for code, (when, by) in WITHDRAWN.items():
        bad("iso-withdrawn-%s" % code.lower(), cur("iso-withdrawn-%s" % code.lower(), code, "12"), "currency",
            "%s is withdrawn (List Three, %s; replaced by %s); the docs refuse withdrawn codes" % (code, when, by),
            ISO + " Table A.3 (List Three)", True)
    for code, why in [("XTS", "reserved for testing"), ("XXX", "no currency"), ("XAU", "gold"), ("XDR", "SDR"),
                      ("CLF", "a funds code"), ("BOV", "a funds code"), ("MXV", "a funds code"),
                      ("XAD", "a unit of account (Arab Accounting Dinar), not current for orders per the docs")]:
        bad("iso-nocur-%s-2dp" % code.lower(), cur("iso-nocur-%s-2dp" % code.lower(), code, "12.34"), "currency",
            "%s (%s) with 2 decimals: no currency for an order" % (code, why), L1 + "; " + DOCS + " currency")
    # Malformed codes from other angles than orders2.
    for n, raw, why in [("greek-epsilon", s("\u0395UR"), "Greek capital epsilon U+0395 for E"),
                        ("zwsp-after", s("EUR\u200b"), "U+200B after"),
                        ("rlm-before", s("\u200fEUR"), "U+200F before"),
                        ("combining", s("EU\u0301R"), "a combining acute inside"),
                        ("escaped-nul", '"EUR\\u0000"', "\\u0000 after"),
                        ("numeric-lead-zero", '"008"', "ALL's numeric code 008"),
                        ("lower-test", '"xts"', "xts lower case"),
                        ("null", "null", "null"), ("array", '["EUR"]', "an array"),
                        ("object", '{"code":"EUR"}', "an object"), ("bool", "true", "a boolean"),
                        ("fullwidth-mixed", s("E\uff35R"), "a fullwidth U in the middle"),
                        ("latin-small-capital", s("E\u1d1cR"), "U+1D1C LATIN LETTER SMALL CAPITAL U")]:
        bad("iso-code-" + n, o("iso-code-" + n, currency=raw), "currency", why + ": not an upper-case ISO 4217 code", CUR)

    # ------------------------------------------------ sizes and many problems
    SIZE = DOCS + " (body at most 256 KiB, order at most 64 KiB; a reason lists the first 10 problems and counts the rest)"
    sku128 = esc("S" * 128)
    big = o("size-escaped-skus", items="[" + ",".join('{"sku":"%s","quantity":1,"unitPrice":"0"}' % sku128 for _ in range(100)) + "]",
            total='"0"')
    assert len(big.encode()) > 65536 and len(json.loads(big)["items"]) == 100
    bad("size-escaped-skus", big, "body",
        "100 skus of 128 characters, each written \\u0053: %d bytes as sent, about 14 KB decoded; the order is its JSON as sent (stored byte for byte), so over 64 KiB" % len(big.encode()),
        SIZE, False)
    env_big = envelope('{"orderId":"h3-size-env-quotes","customerId":"c-1","items":[' + ",".join(
        item('"%s"' % ('\\"' * 60)) for _ in range(20)) + '],"currency":"EUR","total":"20.00"}', 80)
    ok("size-env-quotes", env_big,
       "20 skus of 60 quote characters (written \\\" in the order, \\\\\\\" in the envelope): the escaping more than doubles the body, the order is small",
       SIZE + "; " + SNS)
    many = o("size-5000-items", items="[" + ",".join(["{}"] * 5000) + "]")
    bad("size-5000-items", many, "items", "5000 empty items: over 100 (and 15000 missing fields); the reason must stay bounded", SIZE)
    bad_items = "[" + ",".join('{"sku":"","quantity":0,"unitPrice":"-1","x%d":1}' % i for i in range(100)) + "]"
    bad("size-400-problems", o("size-400-problems", items=bad_items, total='"x"'), "items[99].x99",
        "100 items with 4 faults each: the last item's unknown field is the 401st problem; every problem must still be found (the reason may list only the first)",
        SIZE, False)
    pad = " " * (250 * 1024 - len(o("size-body-250k").encode()))
    bad("size-body-250k", o("size-body-250k") + pad, "body",
        "a raw order padded with trailing JSON whitespace to 250 KiB: under SQS's and the docs' 256 KiB body limit, over the 64 KiB order limit (the whitespace is part of the body as sent)",
        SIZE, False)
    ok("size-order-just-under", o("size-order-just-under", cust=s("c-1")) .replace('"c-1"', '"c-1"' + " " * (65536 - len(o("size-order-just-under").encode())), 1),
       "exactly 65536 bytes with whitespace after a value inside the object", SIZE)

    # ------------------------------------------------ second pass: more classes
    # Envelope recognised by names after unescaping, and only at the top.
    ok("env-escaped-names", envelope(o("env-escaped-names"), 90).replace('"Type":', '"T\\u0079pe":', 1).replace('"Message":', '"M\\u0065ssage":', 1),
       "Type and Message written with escapes are still the fields Type and Message", DOCS + " Delivery forms; " + J + " 8.3")
    ok("env-escaped-message-name", envelope(o("env-escaped-message-name"), 92).replace('"Message":', '"\\u004dessage":', 1),
       "only Message written with an escape (\\u004dessage)", DOCS + " Delivery forms; " + J + " 8.3")
    ok("env-escaped-topicarn-name", envelope(o("env-escaped-topicarn-name"), 93).replace('"TopicArn":', '"Topic\\u0041rn":', 1),
       "only TopicArn written with an escape (Topic\\u0041rn)", DOCS + " Delivery forms; " + J + " 8.3")
    bad("json-case-escaped", o("json-case-escaped", extra=[("\\u004frderId", '"x"')]), "OrderId",
        "\\u004frderId is OrderId: a name in another case, found after unescaping", DOCS + "; " + J + " 8.3")
    bad("env-names-in-item", o("env-names-in-item", items='[{"sku":"A-1","quantity":1,"unitPrice":"1.00","Type":"Notification","TopicArn":"%s"}]' % ARN),
        "items[0].Type", "Type and TopicArn inside an item: unknown fields of the item, not an envelope", DOCS + " Delivery forms")
    bad("env-order-with-type-and-arn", o("env-order-with-type-and-arn", extra=[("Type", '"Notification"'), ("TopicArn", s(ARN))]),
        "Message", "a full order plus Type and TopicArn at the top is by the docs' definition a notification, and it has no Message; expected the reason to name Message",
        DOCS + " Delivery forms", False)
    # Sizes counted in bytes, not characters.
    def sized(name, target):
        its = "[" + ",".join('{"sku":%s,"quantity":1,"unitPrice":"0"}' % s("\U0001F600" * 128) for _ in range(100)) + "]"
        body = o(name, cust=s("\U0001F600" * 128), items=its, total='"0"')
        pad = target - len(body.encode())
        assert pad > 0
        return body[:-1] + " " * pad + "}"
    b64k = sized("size-astral-65536", 65536)
    assert len(b64k.encode()) == 65536
    ok("size-astral-65536", b64k, "exactly 65536 bytes of UTF-8, mostly 4-byte characters (about 26000 characters)", SIZE)
    b64k1 = sized("size-astral-65537", 65537)
    assert len(b64k1.encode()) == 65537
    bad("size-astral-65537", b64k1, "body", "65537 bytes of UTF-8 (about 26000 characters, 39000 UTF-16 units): over 64 KiB, which counts bytes", SIZE)
    bad("size-qty-60000-digits", o("size-qty-60000-digits", items='[{"sku":"A-1","quantity":1%s,"unitPrice":"1.00"}]' % ("0" * 60000)),
        "items[0].quantity", "a quantity of 60001 digits (under 64 KiB): valid JSON, over 1000000", J + " 6, 9; " + DOCS)
    # Values that would break an expression built from strings.
    for n, v in [("hash", "#orderId"), ("colon", ":v"), ("expr", "x) OR attribute_not_exists(orderId"),
                 ("quote", 'c"1'), ("backslash", "c\\1")]:
        ok("cust-expr-" + n, o("cust-expr-" + n, cust=s(v)),
           "customerId %s: a value, stored as sent (DynamoDB expression syntax in a value is data)" % s(v), CID)
    # Re-sends: amounts, zeros, and what a rejection or a conflict leaves.
    ok("re-z", o("re-z", items='[{"sku":"A-1","quantity":2,"unitPrice":"10"}]', total='"20"'), "2 x 10 EUR", IDEM)
    R("re-z-2dp", o("re-z", items='[{"sku":"A-1","quantity":2,"unitPrice":"10.00"}]', total='"20.00"'), "duplicate-of:re-z", "",
      "10.00 and 20.00 EUR are 10 and 20", IDEM, True)
    R("re-z-1dp", o("re-z", items='[{"sku":"A-1","quantity":2,"unitPrice":"10.0"}]', total='"20.0"'), "duplicate-of:re-z", "",
      "10.0 and 20.0 EUR", IDEM, True)
    ok("re-0", o("re-0", items='[{"sku":"A-1","quantity":1,"unitPrice":"0"}]', total='"0"'), "a free order, 0 EUR", IDEM)
    R("re-0-2dp", o("re-0", items='[{"sku":"A-1","quantity":1,"unitPrice":"0.00"}]', total='"0.0"'), "duplicate-of:re-0", "",
      "0.00 and 0.0 are 0", IDEM, True)
    R("re-r-bad", o("re-r", currency='"XTS"'), "rejected", "currency", "first sent with XTS: rejected, nothing stored", DOCS)
    ok("re-r", o("re-r"), "the same id sent again, valid: stored (a rejection stores nothing)", DOCS)
    R("re-r-conflict", o("re-r", cust='"c-2"'), "conflict-with:re-r", "", "another customer under the id", IDEM, True)
    R("re-r-again", o("re-r"), "duplicate-of:re-r", "", "the original again after a conflict: a duplicate (a conflict changes nothing)", IDEM, True)
    ok("re-u", o("re-u", cust=s("c-\u2028-\U0001F600")), "U+2028 and U+1F600 literal", IDEM)
    R("re-u-escaped", o("re-u", cust='"c-\\u2028-\\ud83d\\ude00"'), "duplicate-of:re-u", "",
      "the same characters as escapes", IDEM + "; " + J + " 7", True)
    R("re-u-envelope", envelope(o("re-u", cust=s("c-\u2028-\U0001F600")), 91), "duplicate-of:re-u", "",
      "the same order in an envelope (U+2028 literal inside Message)", IDEM, True)
    ok("re-t", o("re-t", created='"2026-11-26T14:37:00Z"'), "an order at 14:37:00Z", IDEM)
    R("re-t-30-zeros", o("re-t", created='"2026-11-26T14:37:00.' + "0" * 30 + 'Z"'), "duplicate-of:re-t", "",
      "thirty zeros in the fraction", IDEM, True)
    R("re-t-minus00", o("re-t", created='"2026-11-26T14:37:00-00:00"'), "duplicate-of:re-t", "",
      "-00:00 (4.3: UTC, local offset unknown) names the same instant; silent as in orders2", IDEM + "; " + T + " 4.3", False)
    R("re-t-2359", o("re-t", created='"2026-11-25T14:38:00-23:59"'), "duplicate-of:re-t", "",
      "14:38-23:59 on the 25th is 14:37Z on the 26th", IDEM, True)

    # ------------------------------------------------ third pass
    ok("env-escaped-type-value", envelope(o("env-escaped-type-value"), 94).replace('"Type":"Notification"', '"Type":"Notific\\u0061tion"', 1),
       "Type's value written with an escape is still Notification", SNS + "; " + J + " 7")
    bad("env-topicarn-null", envelope(o("env-topicarn-null"), 95).replace('"TopicArn":"%s"' % ARN, '"TopicArn":null', 1), "TopicArn",
        "TopicArn null: an envelope by its names, with null for a field; expected rejected naming TopicArn", DOCS + "; " + SNS, False)
    for n, raw in [("mixed-case-ffff", "\\uFfFf"), ("mixed-case-fffe", "\\uFFfe")]:
        bad("cust-" + n, o("cust-" + n, cust='"c-' + raw + '"'), "customerId",
            raw + ": hex digits in mixed case are the same escape", DOCS + " (U+FFFE, U+FFFF as escapes); " + J + " 7 (HEXDIG)")
    ok("ts-leapsec-lower-tz", at("ts-leapsec-lower-tz", "2016-12-31t23:59:60z"), "a leap second with lower-case t and z", LEAP)
    ok("ts-y0000-feb29", at("ts-y0000-feb29", "0000-02-29T00:00:00Z"),
       "year 0000 is divisible by 400: a leap year in the proleptic Gregorian calendar (Appendix C's rule)", T + " 5.7; Appendix C", False)
    ok("ts-y9999-leapsec", at("ts-y9999-leapsec", "9999-12-31T23:59:60Z"), "the last second of 9999 in UTC", LEAP)
    ok("ts-y0000-leapsec-offset", at("ts-y0000-leapsec-offset", "0000-01-01T00:00:60+00:01"),
       "00:00:60+00:01 on 0000-01-01 is 23:59:60Z on the last day of year -1: the docs' rule (last second of a month in UTC) holds; expected stored",
       LEAP, False)
    bad("tsx-y9999-leapsec-offset", at("tsx-y9999-leapsec-offset", "9999-12-31T23:59:60-23:59"), "createdAt",
        "23:59:60-23:59 is 23:58:60Z the next day: not the last second of a month", LEAP)
    ok("re-s5", o("re-s5", created='"2016-12-31T23:59:60.5Z"'), "half a second into the leap second", IDEM)
    R("re-s5-0530", o("re-s5", created='"2017-01-01T05:29:60.500+05:30"'), "duplicate-of:re-s5", "",
      "the same half second in +05:30", LEAP, True)
    R("re-s5-59", o("re-s5", created='"2016-12-31T23:59:59.5Z"'), "conflict-with:re-s5", "",
      "23:59:59.5Z is a second earlier", LEAP, True)
    frac = "123456789012345678901234567890"
    ok("re-p", o("re-p", created='"2026-11-26T14:37:00.%sZ"' % frac), "a 30-digit fraction", IDEM, False)
    R("re-p-zeros", o("re-p", created='"2026-11-26T15:37:00.%s0000+01:00"' % frac), "duplicate-of:re-p", "",
      "the same 30 digits, four zeros more, in +01:00", IDEM, False)
    R("re-p-last-digit", o("re-p", created='"2026-11-26T14:37:00.%sZ"' % (frac[:-1] + "1")), "conflict-with:re-p", "",
      "the 30th digit differs (1e-30 s): the docs keep the fraction to the last digit sent", IDEM, False)
    ok("re-m", o("re-m", items="[" + item("A-1", "1", '"1.00"') + "," + item("A-1", "1", '"1.00"') + "]", total='"2.00"'),
       "the same sku on two lines: no rule forbids it", IDEM, False)
    R("re-m-merged", o("re-m", items="[" + item("A-1", "2", '"1.00"') + "]", total='"2.00"'), "conflict-with:re-m", "",
      "the lines merged into one of quantity 2: other fields as JSON; expected a conflict", IDEM, False)
    # Rejected bodies whose DLQ copy must come back byte for byte.
    crlf = json.dumps(json.loads(o("dlq-crlf", currency='"XTS"')), indent="\t", ensure_ascii=False).replace("\n", "\r\n")
    bad("dlq-crlf", crlf, "currency", "a tab-indented CRLF body, rejected: its DLQ copy keeps every CR", DOCS + " A rejected message (keeps its original body)")
    bad("dlq-unicode", o("dlq-unicode", cust=s("\u2028\u2029\U0001F600\ufdd0\u00a0\t"), currency='"XXX"'), "currency",
        "U+2028, U+2029, an astral character, U+FDD0, NBSP and a literal tab in a rejected body", DOCS + " A rejected message; " + SQS)
    bad("dlq-envelope", envelope(o("dlq-envelope", currency='"XAU"'), 96), "currency", "a rejected order inside an envelope: the DLQ keeps the envelope",
        DOCS + " A rejected message")

    # ------------------------------------------------ fourth pass
    def sized_env(name, target):
        its = "[" + ",".join('{"sku":%s,"quantity":1,"unitPrice":"0"}' % s("\u20ac" * 128) for _ in range(100)) + "]"
        order_ = o(name, cust=s("\U0001F600" * 128), items=its, total='"0"')
        order_ = order_[:-1] + " " * (target - len(order_.encode())) + "}"
        assert len(order_.encode()) == target
        return envelope(order_, 97)
    ok("size-env-multibyte-65536", sized_env("size-env-multibyte-65536", 65536),
       "an order of exactly 65536 bytes of UTF-8 (3- and 4-byte characters, literal in Message) inside an envelope", SIZE + "; " + SNS)
    bad("size-env-multibyte-65537", sized_env("size-env-multibyte-65537", 65537), "Message",
        "65537 bytes of UTF-8 in Message: over 64 KiB counted in bytes; in an envelope the order as a whole is named Message", SIZE + "; " + DOCS + " Delivery forms")
    bad("env-message-deep", envelope(None, 98, message_raw=s("[" * 20000 + "]" * 20000)), "Message",
        "Message holds 20000 nested arrays: not an order", DOCS + " Delivery forms; " + J + " 9")
    bad("env-dup-in-attributes", envelope(o("env-dup-in-attributes"), 99,
                                          extra=[("MessageAttributes", '{"source":{"Type":"String","Value":"a"},"source":{"Type":"String","Value":"b"}}')]),
        "MessageAttributes.source", "a message attribute given twice inside the envelope", DOCS + " (a field given twice, at any depth, ... in the envelope)")
    long_name = "x" * 60000
    bad("size-long-unknown-name", o("size-long-unknown-name", extra=[(long_name, "1")]), long_name,
        "an unknown field with a 60000-character name: rejected naming it; the reason cuts it to a few hundred bytes",
        DOCS + " (each problem cut to a few hundred bytes)")
    bad("size-long-values", o("size-long-values", cust=s("c" * 12000), items='[{"sku":%s,"quantity":1,"unitPrice":%s}]' % (s("s" * 12000), s("9" * 12000)),
                              total=s("9" * 12000)), "customerId",
        "customerId, sku, unitPrice and total of 12000 characters each: each problem's text bounded", DOCS)

    # Every broken rule named, not only the first.
    bad("multi-last-created", o("multi-last-created", cust=s("c-\u0007"), currency='"EUR"', total='"2.00"', created='"2026-02-30T10:00:00Z"'),
        "createdAt", "customerId with BEL, a total off by 1.00, and 30 February: the reason names every broken rule; this row checks the last",
        DOCS + " (a rejection names every broken rule)")
    bad("multi-second-item-total", o("multi-second-item-total", items="[" + item() + "," + item("B-1", "0", '"1.00"') + "]", total='"1.00"'),
        "items[1].quantity", "the second item's quantity 0 beside a valid first item", DOCS + " (a rejection names every broken rule)")
    bad("multi-in-envelope", envelope(o("multi-in-envelope", cust='"c-\\u0000"', created='"2026-11-26T24:00:00Z"'), 100), "createdAt",
        "two faults inside an envelope's order; this row checks the second", DOCS)
    # Codes CLDR knows that ISO 4217 does not.
    bad("iso-cldr-only-cnh", cur("iso-cldr-only-cnh", "CNH", "12.34"), "currency",
        "CNH (offshore yuan) is in CLDR but not in ISO 4217 List One", L1 + "; " + DOCS + " currency")

    # An escaped backslash before "u": the text \uffff, not the character.
    for n, text, what in [("ffff", "uffff", "U+FFFF"), ("d800", "ud800", "a lone surrogate"),
                          ("0000", "u0000", "NUL"), ("fffe-upper", "uFFFE", "U+FFFE")]:
        ok("cust-backslash-" + n, o("cust-backslash-" + n, cust='"c-\\\\%s"' % text),
           "\\\\%s is an escaped backslash then the letters %s: six characters, not %s" % (text, text, what),
           J + " 7; " + DOCS + " (U+FFFE/U+FFFF, control characters)")
    ok("env-backslash-ffff", envelope(o("env-backslash-ffff", cust='"c-\\\\uffff"'), 101),
       "the same inside an envelope (\\\\\\\\uffff in the body)", J + " 7; " + DOCS)
    R("re-g-escaped-id", g("re-g").replace('"h3-re-g"', '"h3-\\u0072e-g"', 1), "duplicate-of:re-g", "",
      "the orderId written h3-\\u0072e-g is h3-re-g: the same key", IDEM, True)

    # Rejected bodies near SQS's 256 KiB, where the reason must be cut to fit.
    for n, room, dec in [("1024", 1024, True), ("300", 300, False)]:
        name = "size-body-room-" + n
        base = o(name)
        body = base[:-1] + " " * (256 * 1024 - room - len(base.encode())) + "}"
        assert len(body.encode()) == 256 * 1024 - room
        bad(name, body, "body",
            "a raw order of 256 KiB less %d bytes (over 64 KiB): rejected, its DLQ copy as sent with a reason cut to fit the %d bytes SQS leaves for attributes%s"
            % (room, room, "" if dec else "; the docs do not say how little room is room for a reason"),
            DOCS + " (SQS counts the attributes toward a message's 256 KiB, so a long reason is cut to fit)", dec)

    # A long reason and little room: SNS message attributes fill the body.
    faulty_items = "[" + ",".join(item("S-%d" % i, "0", '"1.00"') for i in range(12)) + "]"
    for n, room in [("2000", 2000), ("600", 600)]:
        name = "size-attrs-room-" + n
        inner = o(name, cust='"c-\\u0007"', items=faulty_items, total='"9.99"', created='"2026-13-01T00:00:00Z"')
        def env_with(pad):
            return envelope(inner, 102 + room % 7, extra=[("MessageAttributes", '{"note":{"Type":"String","Value":"%s"}}' % ("n" * pad))])
        pad = 256 * 1024 - room - len(env_with(0).encode())
        body = env_with(pad)
        assert len(body.encode()) == 256 * 1024 - room
        bad(name, body, "createdAt",
            "an envelope of 256 KiB less %d bytes (a large message attribute) whose order has 15 faults: rejected with its reason cut to fit; this row checks the last fault" % room,
            DOCS + " (a long reason is cut to fit); " + SNS + " (MessageAttributes)", room >= 2000)


def main():
    sys.setrecursionlimit(3000)
    sys.set_int_max_str_digits(0)
    decimal.getcontext().prec = 200  # exact sums, far past any amount here
    add_rows()
    names, ids, by_name = set(), {}, {}
    for i, r in enumerate(ROWS):
        n = r["name"]
        assert n not in names, "duplicate name " + n
        names.add(n)
        assert set(r) == {"name", "body", "expect", "field", "rule",
                          "source", "decided_by_docs"}, n
        assert r["rule"] and r["source"], n + ": rule and source required"
        body = r["body"]
        # What SQS carries (the allowed set); literal characters outside it
        # cannot reach the queue, so no row has one.
        for ch in body:
            o = ord(ch)
            assert (o in (9, 10, 13) or 0x20 <= o <= 0xD7FF
                    or 0xE000 <= o <= 0xFFFD or o >= 0x10000), (n, hex(o))
        assert len(body.encode("utf-8")) <= 256 * 1024, n
        probs, ident = check(body)
        e = r["expect"]
        if e == "rejected":
            assert r["field"], n
            assert r["field"] in probs, (n, r["field"], sorted(probs))
        else:
            assert not r["field"], n
            assert not probs, (n, sorted(probs))
            assert ident is not None, n
        if e == "stored":
            assert ident[0] not in ids, (n, "order id reused", ident[0])
            ids[ident[0]] = n
            by_name[n] = ident
        elif e.startswith(("duplicate-of:", "conflict-with:")):
            kind, _, ref = e.partition(":")
            assert ref in by_name, (n, "names no earlier stored row", ref)
            assert ident[0] == by_name[ref][0], (n, "not the id of", ref)
            same = ident == by_name[ref]
            assert same == (kind == "duplicate-of"), (n, ident, by_name[ref])
        elif e != "rejected":
            raise AssertionError(n + ": expect " + e)
    with open(os.path.join(HERE, "orders.jsonl"), "w", encoding="ascii") as f:
        for r in ROWS:
            f.write(json.dumps(r, ensure_ascii=True) + "\n")
    decided = sum(r["decided_by_docs"] for r in ROWS)
    print("%d rows (%d decided by the docs, %d silent)" %
          (len(ROWS), decided, len(ROWS) - decided))


if __name__ == "__main__":
    main()
