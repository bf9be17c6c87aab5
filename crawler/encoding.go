package crawler

import (
	"bytes"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
)

// decodeBody returns body as UTF-8. With encoding "auto" it follows what a
// browser does: a byte-order mark, then the Content-Type header's charset,
// then a <meta charset> or http-equiv in the first 1024 bytes; failing all
// of those UTF-8 (not windows-1252, a browser's Western default: these are
// Chinese marketplaces). An explicit label (gbk, gb18030, big5, utf-8…)
// overrides whatever the page claims. lossy reports bytes that did not
// decode and were replaced by U+FFFD.
//
// golang.org/x/net/html/charset does the sniffing and x/text the decoding
// (GBK is decoded as GB18030, its superset, as the WHATWG standard says).
func decodeBody(body []byte, contentType, label string) (text []byte, name string, lossy bool) {
	var enc encoding.Encoding
	if label == "" || label == "auto" {
		var certain bool
		enc, name, certain = charset.DetermineEncoding(body, contentType)
		if !certain && name == "windows-1252" {
			enc, name = encoding.Nop, "utf-8"
		}
	} else {
		enc, name = charset.Lookup(label)
		if enc == nil {
			enc, name = encoding.Nop, "utf-8"
		}
	}
	if name == "utf-8" || enc == encoding.Nop {
		body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
		if utf8.Valid(body) {
			return body, "utf-8", false
		}
		return bytes.ToValidUTF8(body, []byte("\uFFFD")), "utf-8", true
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return bytes.ToValidUTF8(body, []byte("\uFFFD")), name, true
	}
	// x/text decoders substitute U+FFFD for bytes that do not decode.
	lossy = bytes.Contains(out, []byte("\uFFFD")) && !bytes.Contains(body, []byte("\xef\xbf\xbd"))
	return out, name, lossy
}
