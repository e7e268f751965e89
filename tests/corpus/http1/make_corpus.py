#!/usr/bin/env python3
"""make_corpus.py — write the HTTP/1.1 request corpus: one NNN-name.http file per case
holding the exact bytes a client sends, and MANIFEST with what the server must answer.

The cases live here, as Python byte strings, so that CR, LF, NUL and the other bytes that
matter are visible in review; the generated files are committed too. Run it from
anywhere: it writes next to itself, and removes *.http files no case names any more.
`make_corpus.py --check` writes nothing and exits 1 if the committed files differ.

Expectations are the RFC 9112/9110 answers evhttpd intends; `alt` lists other answers
the RFCs allow. The manifest format is described in README.md. The server the runner
(tests/integration/05_corpus.py) starts has LimitRequestBody 1000 and the files
/index.html, /a.txt and /dir/index.html; /smuggled never exists, so a 404 for it means
bytes that are not a request were read as one.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def req(line, *fields, body=b"", eol=b"\r\n"):
    """A request head (request line, field lines, empty line), then body."""
    out = line + eol
    for f in fields:
        out += f + eol
    return out + eol + body


H = b"Host: x"
NEXT = req(b"GET /a.txt HTTP/1.1", H)  # a pipelined request that must be answered 200
SMUGGLED = req(b"GET /smuggled HTTP/1.1", H)  # must never be answered (404 if it is)


def get(target=b"/", *fields, body=b""):
    return req(b"GET " + target + b" HTTP/1.1", H, *fields, body=body)


CASES = []


def case(name, data, statuses, conn, alt=(), split=False, head=(), late_close=False, note="",
         gives=None):
    """gives: the answer evhttpd gives where alt allows several (default: the first)."""
    if alt:
        note = "evhttpd: %s%s" % (gives or statuses + ":" + conn, "; " + note if note else "")
    CASES.append((name, data, statuses, conn, tuple(alt), split, tuple(head), late_close, note))


# The chunked body a GET may carry: decoded and discarded so the pipelined request is
# answered, or (RFC 9112 9.5 lets a server close at any time) answered, then closed.
CHUNKED_OK = dict(alt=("200:close",), note="body discarded, or answered then closed")
# An invalid chunked body: 400 when it is read first; a server that answers a GET before
# reading its body must close instead of reading what follows as a request, and cannot
# have said so in the answer (late_close).
CHUNKED_BAD = dict(alt=("200:close",), gives="200:close", late_close=True,
                   note="400, or answered before the body then closed")

# --- request line (RFC 9112 section 3) -------------------------------------------------
case("get-root", get(), "200", "open", split=True)
case("head-file", req(b"HEAD /a.txt HTTP/1.1", H), "200", "open", head=[1])
case("get-dir-index", get(b"/dir/"), "200", "open")
case("get-missing", get(b"/missing"), "404", "open")
case("head-missing", req(b"HEAD /missing HTTP/1.1", H), "404", "open", head=[1],
     note="an error answer to HEAD has no body either")
case("sp-twice-after-method", req(b"GET  / HTTP/1.1", H), "400", "close", split=True)
case("sp-twice-before-version", req(b"GET /  HTTP/1.1", H), "400", "close")
case("htab-separators", req(b"GET\t/\tHTTP/1.1", H), "400", "close")
case("sp-before-method", req(b" GET / HTTP/1.1", H), "400", "close")
case("sp-after-version", req(b"GET / HTTP/1.1 ", H), "400", "close")
case("method-lowercase", req(b"get / HTTP/1.1", H), "501", "open",
     note="methods are case-sensitive: 'get' is an unknown method")
case("method-unknown", req(b"BREW / HTTP/1.1", H), "501", "open")
case("method-not-token", req(b"GE(T / HTTP/1.1", H), "400", "close")
case("post-file", req(b"POST /a.txt HTTP/1.1", H, b"Content-Length: 0"), "405", "open")
case("put-file", req(b"PUT /a.txt HTTP/1.1", H, b"Content-Length: 5", body=b"hello"),
     "405", "open")
case("delete-file", req(b"DELETE /a.txt HTTP/1.1", H), "405", "open")
case("patch-file", req(b"PATCH /a.txt HTTP/1.1", H, b"Content-Length: 5", body=b"hello"),
     "405", "open")
case("post-dir", req(b"POST / HTTP/1.1", H, b"Content-Length: 0"), "405", "open")
case("trace", req(b"TRACE / HTTP/1.1", H), "405", "open")
case("options-asterisk", req(b"OPTIONS * HTTP/1.1", H), "200", "open", split=True)
case("options-path", req(b"OPTIONS /a.txt HTTP/1.1", H), "200", "open")
case("get-asterisk", req(b"GET * HTTP/1.1", H), "400", "open",
     note="asterisk-form is for OPTIONS only (RFC 9112 3.2.4)")
case("head-asterisk", req(b"HEAD * HTTP/1.1", H), "400", "open", head=[1])
case("connect-authority", req(b"CONNECT example.org:443 HTTP/1.1", H), "501", "open",
     alt=("400:open",), gives="400:open")
case("http10", req(b"GET / HTTP/1.0"), "200", "close", split=True)
case("http10-keep-alive-pipelined",
     req(b"GET / HTTP/1.0", b"Connection: keep-alive") +
     req(b"GET /a.txt HTTP/1.0", b"Connection: keep-alive"), "200,200", "open")
case("http12-as-http11", req(b"GET / HTTP/1.2", H), "200", "open",
     note="a higher minor version is answered as HTTP/1.1 (RFC 9110 6.2)")
case("http12-no-host", req(b"GET / HTTP/1.2"), "400", "close")
case("http20", req(b"GET / HTTP/2.0", H), "505", "close", split=True)
case("http2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "505", "close")
case("tls-client-hello", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(range(32)),
     "400", "close", note="answered at the first byte, without waiting for a line end")
case("http09", req(b"GET / HTTP/0.9", H), "505", "close")
case("version-minor-two-digits", req(b"GET / HTTP/1.10", H), "400", "close")
case("version-major-two-digits", req(b"GET / HTTP/11.1", H), "400", "close")
case("version-no-minor", req(b"GET / HTTP/1", H), "400", "close")
case("version-lowercase", req(b"GET / http/1.1", H), "400", "close")
case("http09-simple-request", b"GET /\r\n", "400", "close")
case("method-only", b"GET\r\n\r\n", "400", "close")
case("leading-crlf", b"\r\n\r\n" + get(), "200", "open", split=True)
case("leading-crlf-11-lines", b"\r\n" * 11 + get(), "400", "close",
     note="evhttpd skips at most 10 empty lines (as Apache)")
case("leading-whitespace-line", b"  \r\n" + get(), "400", "close")
case("request-line-bare-cr", b"GET / HTTP/1.1\rHost: x\r\n\r\n", "400", "close")
case("request-line-nul", req(b"GET /\x00 HTTP/1.1", H), "400", "close")

# --- request-target (RFC 9112 section 3.2) ---------------------------------------------
case("origin-form-query", get(b"/a.txt?x=1&y=%20"), "200", "open")
case("absolute-form-host-differs", req(b"GET http://example.org/a.txt HTTP/1.1",
                                       b"Host: other.example"), "200", "open",
     note="the target's authority wins over Host (RFC 9112 3.2.2)")
case("absolute-form-no-path", get(b"http://example.org"), "200", "open")
case("absolute-form-uppercase-scheme", get(b"HTTP://EXAMPLE.ORG/a.txt"), "200", "open")
case("absolute-form-https", get(b"https://example.org/a.txt"), "200", "open")
case("absolute-form-empty-authority", get(b"http:///a.txt"), "400", "open")
case("absolute-form-bad-authority", get(b"http://exa%zzmple/a.txt"), "400", "open")
case("absolute-form-userinfo", get(b"http://user@example.org/a.txt"), "400", "open",
     note="userinfo is deprecated in http URIs (RFC 9110 4.2.4)")
case("absolute-form-no-host-field", req(b"GET http://example.org/ HTTP/1.1"), "400", "close",
     note="Host is required even with absolute-form (RFC 9112 3.2)")
case("absolute-form-invalid-host", req(b"GET http://example.org/a.txt HTTP/1.1", b"Host: a/b"),
     "400", "close", note="an invalid Host is 400 whatever the target (RFC 9112 3.2)")
case("absolute-form-ftp", get(b"ftp://example.org/a.txt"), "400", "open")
case("authority-form-get", req(b"GET example.org:80 HTTP/1.1", H), "400", "open")
case("target-relative", req(b"GET a.txt HTTP/1.1", H), "400", "open")
case("target-fragment", get(b"/a.txt#frag"), "400", "close")
case("target-ctl", get(b"/a\x01b"), "400", "close")
case("target-raw-space", req(b"GET /a b.txt HTTP/1.1", H), "400", "close")
case("target-non-ascii", get(b"/\xc3\xa9"), "400", "close")
case("target-very-long", get(b"/" + b"a" * 9000), "414", "close")
LINE_AT_LIMIT = b"GET /a.txt?" + b"q" * (8190 - len(b"GET /a.txt? HTTP/1.1")) + b" HTTP/1.1"
assert len(LINE_AT_LIMIT) == 8190
case("request-line-8190", req(LINE_AT_LIMIT, H), "200", "open",
     note="LimitRequestLine 8190 counts the line without CRLF")
case("request-line-8191", req(LINE_AT_LIMIT[:-9] + b"q HTTP/1.1", H), "414", "close")

# --- header fields (RFC 9112 section 5, RFC 9110 section 5) ----------------------------
case("field-name-not-token", get(b"/", b"X(Y): 1"), "400", "close", split=True)
case("field-name-space", get(b"/", b"X Y: 1"), "400", "close")
case("field-name-empty", get(b"/", b": 1"), "400", "close")
case("field-no-colon", get(b"/", b"X-No-Colon"), "400", "close")
case("sp-before-colon", req(b"GET / HTTP/1.1", b"Host : x"), "400", "close",
     note="RFC 9112 5.1: MUST be 400")
case("obs-fold-sp", get(b"/", b"X-A: 1", b" 2"), "400", "close", split=True)
case("obs-fold-htab", get(b"/", b"X-A: 1", b"\t2"), "400", "close")
case("sp-first-field-line", req(b"GET / HTTP/1.1", b" Host: x"), "400", "close")
case("value-nul", get(b"/", b"X-A: a\x00b"), "400", "close")
case("value-ctl", get(b"/", b"X-A: a\x01b"), "400", "close")
case("value-vt", get(b"/", b"X-A: a\x0bb"), "400", "close")
case("value-bare-cr", get(b"/", b"X-A: a\rb"), "400", "close", split=True)
case("empty-line-bare-cr", b"GET / HTTP/1.1\r\nHost: x\r\n\r\r\n", "400", "close")
case("value-obs-text", get(b"/", b"X-A: caf\xe9 \x80\xff"), "200", "open")
case("value-inner-htab", get(b"/", b"X-A: a\tb"), "200", "open")
case("value-empty", get(b"/", b"X-A:"), "200", "open")
case("value-trailing-ows", get(b"/", b"X-A: 1 \t "), "200", "open")
case("field-name-case", req(b"GET / HTTP/1.1", b"hOsT: x"), "200", "open")
case("bare-lf-head", b"GET / HTTP/1.1\nHost: x\n\n", "200", "open", split=True,
     note="evhttpd accepts a bare LF line end in the head (RFC 9112 2.2 MAY)")
case("bare-lf-mixed", b"GET / HTTP/1.1\r\nHost: x\n\r\n", "200", "open")
case("bare-lf-pipelined", b"GET / HTTP/1.1\nHost: x\n\nGET /a.txt HTTP/1.1\nHost: x\n\n",
     "200,200", "open")
case("no-host", req(b"GET / HTTP/1.1"), "400", "close", split=True)
case("two-host", get(b"/", b"Host: y"), "400", "close")
case("two-host-same", get(b"/", H), "400", "close")
case("host-list", req(b"GET / HTTP/1.1", b"Host: x, y"), "400", "close")
case("host-slash", req(b"GET / HTTP/1.1", b"Host: a/b"), "400", "close")
case("host-port-letters", req(b"GET / HTTP/1.1", b"Host: a:8x"), "400", "close")
case("host-empty-before-port", req(b"GET / HTTP/1.1", b"Host: :80"), "400", "close")
case("host-ipv6-port", req(b"GET / HTTP/1.1", b"Host: [::1]:8080"), "200", "open")
case("host-empty", req(b"GET / HTTP/1.1", b"Host:"), "200", "open",
     note="an empty Host is valid (RFC 9112 3.2)")
case("http10-no-host", req(b"GET / HTTP/1.0"), "200", "close")
case("http10-two-host", req(b"GET / HTTP/1.0", H, b"Host: y"), "400", "close",
     note="RFC 9112 3.2: 400 for ANY request with two Host lines, HTTP/1.0 too")
case("http10-invalid-host", req(b"GET / HTTP/1.0", b"Host: a/b"), "400", "close",
     note="RFC 9112 3.2: 400 for ANY request with an invalid Host, HTTP/1.0 too")

# --- limits ------------------------------------------------------------------------------
FIELD_AT_LIMIT = b"X-Long: " + b"v" * (8190 - 8)
case("field-8190", get(b"/", FIELD_AT_LIMIT), "200", "open",
     note="LimitRequestFieldSize 8190 counts the line without CRLF")
case("field-8191", get(b"/", FIELD_AT_LIMIT + b"v"), "431", "close")
case("fields-100", get(b"/", *[b"X-F-%d: v" % i for i in range(99)]), "200", "open",
     note="LimitRequestFields 100 counts Host too")
case("fields-101", get(b"/", *[b"X-F-%d: v" % i for i in range(100)]), "431", "close")

# --- Content-Length (RFC 9112 6.3, RFC 9110 8.6) ----------------------------------------
def cl(value, body=b"hello"):
    return get(b"/", b"Content-Length: " + value, body=body)


case("cl-letters", cl(b"abc"), "400", "close")
case("cl-plus", cl(b"+5"), "400", "close")
case("cl-minus", cl(b"-5"), "400", "close")
case("cl-inner-space", cl(b"1 0"), "400", "close")
case("cl-overflow", cl(b"99999999999999999999"), "400", "close")
case("cl-int64-max-plus-one", cl(b"9223372036854775808"), "400", "close")
case("cl-empty", cl(b""), "400", "close")
case("cl-list-same", cl(b"5, 5"), "400", "close", alt=("200:open",),
     note="RFC 9110 8.6 lets a recipient read a list of one value as that value")
case("cl-two-lines-differ", get(b"/", b"Content-Length: 5", b"Content-Length: 6",
                                body=b"hello!"), "400", "close")
case("cl-two-lines-same", get(b"/", b"Content-Length: 5", b"Content-Length: 5",
                              body=b"hello") + NEXT, "200,200", "open",
     note="identical Content-Length lines are accepted as one (RFC 9110 8.6)")
case("cl-leading-zeros", cl(b"005") + NEXT, "200,200", "open")
case("cl-zero", cl(b"0", b"") + NEXT, "200,200", "open")
case("cl-trailing-ows", cl(b"5 \t") + NEXT, "200,200", "open")

# --- Transfer-Encoding (RFC 9112 6.1, 6.3) ----------------------------------------------
def te(value, *more, body=b"5\r\nhello\r\n0\r\n\r\n"):
    return get(b"/", b"Transfer-Encoding: " + value, *more, body=body)


case("te-chunked-and-cl", te(b"chunked", b"Content-Length: 15"), "400", "close")
case("cl-and-te-chunked", get(b"/", b"Content-Length: 15", b"Transfer-Encoding: chunked",
                              body=b"5\r\nhello\r\n0\r\n\r\n"), "400", "close")
case("te-gzip", te(b"gzip"), "501", "close", alt=("400:close",),
     note="RFC 9112 6.1 SHOULD 501; 6.3 MUST 400 when chunked is not last")
case("te-chunked-gzip", te(b"chunked, gzip"), "400", "close", alt=("501:close",),
     gives="501:close",
     note="chunked not last: RFC 9112 6.3 MUST 400")
case("te-gzip-chunked", te(b"gzip, chunked"), "501", "close", alt=("400:close",))
case("te-identity", te(b"identity"), "501", "close", alt=("400:close",),
     note="'identity' is no longer a transfer coding (RFC 9112 7)")
case("te-chunk", te(b"chunk"), "501", "close", alt=("400:close",))
case("te-xchunked", te(b"xchunked"), "501", "close", alt=("400:close",))
case("te-chunked-twice", te(b"chunked, chunked"), "400", "close", alt=("501:close",),
     gives="501:close",
     note="RFC 9112 6.1: chunked MUST NOT be applied twice")
case("te-two-lines-chunked", te(b"chunked", b"Transfer-Encoding: chunked"), "400", "close",
     alt=("501:close",))
case("te-two-lines-chunked-x", te(b"chunked", b"Transfer-Encoding: x"), "400", "close",
     alt=("501:close",))
case("te-http10", req(b"GET / HTTP/1.0", b"Transfer-Encoding: chunked",
                      body=b"0\r\n\r\n"), "400", "close",
     note="RFC 9112 6.1: faulty framing in HTTP/1.0")
case("te-leading-sp", get(b"/", b"Transfer-Encoding:  chunked",
                          body=b"5\r\nhello\r\n0\r\n\r\n") + NEXT,
     "200,200", "open", **CHUNKED_OK)
case("te-leading-htab", get(b"/", b"Transfer-Encoding:\tchunked",
                            body=b"5\r\nhello\r\n0\r\n\r\n") + NEXT,
     "200,200", "open", **CHUNKED_OK)
case("te-trailing-htab", get(b"/", b"Transfer-Encoding: chunked\t",
                             body=b"5\r\nhello\r\n0\r\n\r\n") + NEXT,
     "200,200", "open", **CHUNKED_OK)
case("te-uppercase", get(b"/", b"Transfer-Encoding: CHUNKED",
                         body=b"5\r\nhello\r\n0\r\n\r\n") + NEXT,
     "200,200", "open", **CHUNKED_OK)

# --- bodies on resources that take none ------------------------------------------------
case("get-body-pipelined", cl(b"5") + NEXT, "200,200", "open")
case("get-body-pipelined-split", cl(b"5") + NEXT, "200,200", "open", split=True,
     alt=("200:close",), note="the body arrives after the answer: discarded, or closed")
case("get-body-is-request", cl(b"%d" % len(SMUGGLED), SMUGGLED), "200", "open",
     note="CL.0: the body is never read as a request")
case("head-body-is-request", req(b"HEAD /a.txt HTTP/1.1", H, b"Content-Length: %d"
                                 % len(SMUGGLED), body=SMUGGLED), "200", "open", head=[1])
case("404-body-is-request", get(b"/missing", b"Content-Length: %d" % len(SMUGGLED),
                                body=SMUGGLED), "404", "open")
case("301-body-is-request", get(b"/dir", b"Content-Length: %d" % len(SMUGGLED),
                                body=SMUGGLED), "301", "open")
case("405-body-is-request", req(b"POST /a.txt HTTP/1.1", H, b"Content-Length: %d"
                                % len(SMUGGLED), body=SMUGGLED), "405", "open")
case("501-body-is-request", req(b"BREW / HTTP/1.1", H, b"Content-Length: %d"
                                % len(SMUGGLED), body=SMUGGLED), "501", "open")
case("get-large-body-unsent", cl(b"900", b"0123456789"), "200", "wait", alt=("200:close",),
     note="answered at once, then the body is read and discarded (the probe with it)")
case("expect-100-body-withheld", get(b"/", b"Expect: 100-continue", b"Content-Length: 10"),
     "200", "close", note="final status without 100 (RFC 9110 10.1.1), then closed")
case("expect-100-body-sent", get(b"/", b"Expect: 100-continue", b"Content-Length: 10",
                                 body=b"0123456789") + NEXT, "200", "close",
     alt=("200,200:open",), note="no 100 for a resource that takes no body: answered, closed")
case("expect-unknown", get(b"/", b"Expect: x-frobnicate"), "417", "close",
     alt=("417:open", "200:open"), note="RFC 9110 10.1.1 MAY 417")
case("limit-body-413-unsent", cl(b"5000", b""), "413", "close",
     note="LimitRequestBody 1000 in the runner's server")
case("limit-body-413-sent", cl(b"5000", b"b" * 5000) + SMUGGLED, "413", "close")
case("limit-body-1000", cl(b"1000", b"b" * 1000) + NEXT, "200,200", "open", split=True)
case("limit-body-1001", cl(b"1001", b"b" * 1001), "413", "close")

# --- chunked bodies (RFC 9112 7.1) -------------------------------------------------------
case("chunked-pipelined", te(b"chunked", body=b"5\r\nhello\r\n0\r\n\r\n") + NEXT,
     "200,200", "open", split=True, **CHUNKED_OK)
case("chunked-empty", te(b"chunked", body=b"0\r\n\r\n") + NEXT, "200,200", "open",
     **CHUNKED_OK)
case("chunked-extensions", te(b"chunked", body=b"5;a=b;c=\"d e\"\r\nhello\r\n0;x\r\n\r\n")
     + NEXT, "200,200", "open", **CHUNKED_OK)
case("chunked-trailer", te(b"chunked", body=b"5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n") + NEXT,
     "200,200", "open", split=True, **CHUNKED_OK)
case("chunked-several", te(b"chunked", body=b"1\r\na\r\n2\r\nbc\r\n10\r\n" + b"d" * 16 +
                           b"\r\n0\r\n\r\n") + NEXT, "200,200", "open", **CHUNKED_OK)
case("chunked-data-is-request",
     te(b"chunked", body=b"%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n") + NEXT,
     "200,200", "open", **CHUNKED_OK)
case("chunked-post", te(b"chunked", body=b"5\r\nhello\r\n0\r\n\r\n").replace(
    b"GET / ", b"POST /a.txt ", 1) + NEXT, "405,200", "open",
     alt=("405:close",), note="body discarded, or answered then closed")
case("chunked-over-limit", te(b"chunked", body=b"".join(b"3e8\r\n" + b"c" * 1000 + b"\r\n"
                                                        for _ in range(5)) + b"0\r\n\r\n")
     + SMUGGLED, "413", "close",
     **dict(CHUNKED_BAD, note="413, or answered before the body then closed"))


def bad_chunks(name, body, note=""):
    case(name, te(b"chunked", body=body) + SMUGGLED, "400", "close",
         **dict(CHUNKED_BAD, note=note or CHUNKED_BAD["note"]))


bad_chunks("chunk-size-junk", b"zz\r\nhello\r\n0\r\n\r\n")
bad_chunks("chunk-size-0x", b"0x5\r\nhello\r\n0\r\n\r\n")
bad_chunks("chunk-size-negative", b"-5\r\nhello\r\n0\r\n\r\n")
bad_chunks("chunk-size-overflow", b"10000000000000005\r\nhello\r\n0\r\n\r\n")
bad_chunks("chunk-size-empty", b"\r\nhello\r\n0\r\n\r\n")
bad_chunks("chunk-size-bare-lf", b"5\nhello\r\n0\r\n\r\n",
           note="bare LF is refused in chunk lines (smuggling), unlike in the head")
bad_chunks("chunk-data-bare-lf", b"5\r\nhello\n0\r\n\r\n")
bad_chunks("chunk-last-bare-lf", b"5\r\nhello\r\n0\n\n")
bad_chunks("chunk-size-bare-cr", b"5\rhello\r\n0\r\n\r\n")
bad_chunks("chunk-data-no-crlf", b"5\r\nhelloXX0\r\n\r\n")
bad_chunks("chunk-data-longer", b"3\r\nhello\r\n0\r\n\r\n")
bad_chunks("chunk-trailer-obs-fold", b"0\r\nX-T: 1\r\n 2\r\n\r\n")

# --- request smuggling (CL.TE, TE.CL, TE.TE) ---------------------------------------------
case("cl-te-classic", req(b"POST / HTTP/1.1", H, b"Content-Length: 13",
                          b"Transfer-Encoding: chunked", body=b"0\r\n\r\nSMUGGLED"),
     "400", "close", split=True)
case("te-cl-classic", req(b"POST / HTTP/1.1", H, b"Content-Length: 3",
                          b"Transfer-Encoding: chunked", body=b"8\r\nSMUGGLED\r\n0\r\n\r\n"),
     "400", "close", split=True)
case("te-cl-get-smuggled", req(b"GET / HTTP/1.1", H, b"Transfer-Encoding: chunked",
                               b"Content-Length: 4", body=b"%x\r\n" % len(SMUGGLED) +
                               SMUGGLED + b"\r\n0\r\n\r\n"), "400", "close")
for tname, tline in (("xchunked", b"Transfer-Encoding: xchunked"),
                     ("sp-before-colon", b"Transfer-Encoding : chunked"),
                     ("htab", b"Transfer-Encoding:\tchunked"),
                     ("vt", b"Transfer-Encoding: \x0bchunked"),
                     ("obs-fold", b"Transfer-Encoding: x\r\n chunked")):
    case("te-te-%s-with-cl" % tname,
         req(b"POST / HTTP/1.1", H, tline, b"Content-Length: 4",
             body=b"5c\r\nG" + b"\r\n0\r\n\r\n"), "400", "close")
case("te-te-two-lines-with-cl",
     req(b"POST / HTTP/1.1", H, b"Transfer-Encoding: chunked", b"Transfer-Encoding: x",
         b"Content-Length: 4", body=b"5c\r\nG\r\n0\r\n\r\n"), "400", "close")
case("te-underscore-name", get(b"/", b"Transfer_Encoding: chunked", body=b"0\r\n\r\n"),
     "200,400", "close", note="not Transfer-Encoding: no body, so '0' is the next request line")
case("cl-obs-fold", get(b"/", b"Content-Length:", b" 5", body=b"hello"), "400", "close")
case("cl-sp-before-colon", get(b"/", b"Content-Length : 5", body=b"hello"), "400", "close")

# --- connection management and pipelining (RFC 9112 9) ----------------------------------
case("connection-close-pipelined", get(b"/", b"Connection: close") + SMUGGLED,
     "200", "close", split=True)
case("connection-list-close", get(b"/", b"Connection: keep-alive, close") + SMUGGLED,
     "200", "close")
case("connection-closed-token", get(b"/", b"Connection: closed") + NEXT, "200,200", "open")
case("upgrade-ignored", get(b"/", b"Connection: Upgrade, HTTP2-Settings", b"Upgrade: h2c",
                              b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA") + NEXT,
     "200,200", "open", note="an Upgrade the server does not offer is ignored (RFC 9110 7.8)")
case("pipelined-in-order", get(b"/a.txt") + get(b"/missing") +
     req(b"HEAD /a.txt HTTP/1.1", H) + get(b"/dir") + req(b"OPTIONS * HTTP/1.1", H) +
     get(b"/dir/"), "200,404,200,301,200,200", "open", head=[3], split=True)
case("pipelined-304", get(b"/a.txt", b"If-None-Match: *") + NEXT, "304,200", "open")
case("pipelined-bad-in-middle", get() + req(b"GET  / HTTP/1.1", H) + SMUGGLED,
     "200,400", "close")
case("pipelined-after-414", get(b"/" + b"a" * 9000) + SMUGGLED, "414", "close")
case("pipelined-after-http10", req(b"GET / HTTP/1.0") + SMUGGLED, "200", "close")

# --- paths (RFC 3986 5.2.4; the document root is never left) -----------------------------
case("path-pct-00", get(b"/a.txt%00.html"), "400", "open")
case("path-pct-2f", get(b"/dir%2Findex.html"), "404", "open",
     note="encoded slash: 404 as Apache's AllowEncodedSlashes Off")
case("path-pct-bad-hex", get(b"/%zz"), "400", "open")
case("path-dot-segments", get(b"/dir/../a.txt"), "200", "open")
case("path-double-slash", get(b"//a.txt"), "200", "open")
case("path-dir-redirect", get(b"/dir"), "301", "open")
case("path-dotdot-above-root", get(b"/../a.txt"), "400", "open",
     alt=("404:open", "200:open"), note="RFC 3986 would clamp to /a.txt")
case("path-pct-dotdot-traversal", get(b"/%2e%2e/%2e%2e/etc/passwd"), "400", "open",
     alt=("404:open",), split=True)
case("path-pct-dotdot-mixed-case", get(b"/%2E%2e/etc/passwd"), "400", "open",
     alt=("404:open",))
case("path-dir-dotdot-traversal", get(b"/dir/../../etc/passwd"), "400", "open",
     alt=("404:open",))
case("path-pct-dot-pct-dot", get(b"/.%2e/.%2E/etc/passwd"), "400", "open", alt=("404:open",))
case("path-dotdot-pct-slash", get(b"/..%2f..%2fetc/passwd"), "404", "open",
     alt=("400:open",))
case("path-backslash-traversal", get(b"/..\\..\\etc\\passwd"), "404", "open",
     alt=("400:open",), note="a backslash is an ordinary byte in a file name")
case("path-absolute-form-traversal", get(b"http://x/../../etc/passwd"), "400", "open",
     alt=("404:open",))


def manifest_text():
    lines = [
        "# HTTP/1.1 request corpus: what evhttpd must answer. Generated by make_corpus.py;",
        "# edit the cases there, then run it. Format: README.md.",
        "# file statuses close|open|wait [split] [head=N,...] [late-close] [alt=...]... [# note]",
    ]
    width = max(len(c[0]) for c in CASES) + len("NNN-.http")
    for i, (name, _, statuses, conn, alt, split, head, late, note) in enumerate(CASES, 1):
        fields = ["%-*s" % (width, "%03d-%s.http" % (i, name)), "%-7s" % statuses, "%-5s" % conn]
        if split:
            fields.append("split")
        if head:
            fields.append("head=" + ",".join(str(h) for h in head))
        if late:
            fields.append("late-close")
        fields += ["alt=" + a for a in alt]
        line = " ".join(fields).rstrip()
        if note:
            line += "  # " + note
        lines.append(line)
    return "\n".join(lines) + "\n"


def wanted_files():
    files = {"%03d-%s.http" % (i, c[0]): c[1] for i, c in enumerate(CASES, 1)}
    files["MANIFEST"] = manifest_text().encode()
    return files


def main():
    check = sys.argv[1:] == ["--check"]
    names = [c[0] for c in CASES]
    if len(set(names)) != len(names):
        sys.exit("duplicate case names")
    files = wanted_files()
    stale = [f for f in os.listdir(HERE) if f.endswith(".http") and f not in files]
    differ = []
    for fname, data in files.items():
        path = os.path.join(HERE, fname)
        try:
            with open(path, "rb") as f:
                same = f.read() == data
        except FileNotFoundError:
            same = False
        if not same:
            differ.append(fname)
            if not check:
                with open(path, "wb") as f:
                    f.write(data)
    if check:
        for f in differ + stale:
            print("out of date: " + f)
        sys.exit(1 if differ or stale else 0)
    for f in stale:
        os.remove(os.path.join(HERE, f))
    print("%d cases; %d files written, %d removed" % (len(CASES), len(differ), len(stale)))


if __name__ == "__main__":
    main()
