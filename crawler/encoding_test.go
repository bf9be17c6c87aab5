package crawler

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestDecodeBody(t *testing.T) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("<html><head><meta charset=\"gbk\"></head><body>耐克运动鞋</body></html>"))
	gbkNoMeta, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("<p>耐克运动鞋</p>"))
	cases := []struct {
		name        string
		body        []byte
		contentType string
		label       string
		wantText    string
		wantName    string
		wantLossy   bool
	}{
		{"meta gbk", gbk, "text/html", "auto", "耐克运动鞋", "gbk", false},
		{"header gbk", gbkNoMeta, "text/html; charset=GBK", "auto", "耐克运动鞋", "gbk", false},
		{"explicit gb18030 wins", gbkNoMeta, "text/html; charset=utf-8", "gb18030", "耐克运动鞋", "gb18030", false},
		{"utf-8 default", []byte("<p>耐克</p>"), "", "auto", "耐克", "utf-8", false},
		{"bom", []byte("\xef\xbb\xbf<p>耐克</p>"), "", "auto", "<p>耐克</p>", "utf-8", false},
		{"gbk sent as utf-8", gbkNoMeta, "text/html; charset=utf-8", "auto", "<p>", "utf-8", true},
	}
	for _, tc := range cases {
		text, name, lossy := decodeBody(tc.body, tc.contentType, tc.label)
		if !strings.Contains(string(text), tc.wantText) || name != tc.wantName || lossy != tc.wantLossy {
			t.Errorf("%s: got %q, %s, lossy %v; want %q, %s, lossy %v", tc.name, text, name, lossy, tc.wantText, tc.wantName, tc.wantLossy)
		}
	}
}
