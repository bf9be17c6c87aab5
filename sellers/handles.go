package sellers

import (
	"regexp"
	"sort"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Handle kinds.
const (
	WeChat = "wechat"
	QQ     = "qq"
	Phone  = "phone"
	Shop   = "shop" // a link to a shop
	Image  = "image"
	Name   = "name" // a distinctive normalised seller name
)

// Handle is a contact a seller gave, normalised so that the same contact
// written two ways compares equal.
type Handle struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	// Text is what the listing said (for the evidence of a link).
	Text string `json:"text"`
}

// Key is kind:value.
func (h Handle) Key() string { return h.Kind + ":" + h.Value }

var (
	// The words for WeChat sellers use, disguised: 微信 and its
	// homophones, V, VX, WX, 加V, ➕V.
	wechatRE = regexp.MustCompile(`(?i)(?:微信|薇信|威信|徽信|维信|v信|微x|wechat|weixin|vx|wx|加\s*v|\+\s*v|➕\s*v|加微|扣v)\s*(?:号|id)?\s*[:：=]?\s*([a-z][-_a-z0-9]{5,19})`)
	qqRE     = regexp.MustCompile(`(?i)(?:qq|扣扣|企鹅|球球)\s*(?:号)?\s*[:：=]?\s*([1-9][0-9]{4,10})`)
	// Mobile numbers: 11 digits starting 13-19, separators allowed inside.
	phoneRE = regexp.MustCompile(`(?:^|[^0-9])(1[3-9][0-9](?:[\s-]?[0-9]){8})(?:[^0-9]|$)`)
	// Shop links on the major marketplaces and the fake ones.
	shopRE = regexp.MustCompile(`(?i)(?:https?://)?((?:shop[0-9]+|[a-z0-9-]+)\.(?:taobao|tmall|jd|1688|yangkeduo|pinduoduo)\.com(?:/[-_a-z0-9/]*)?|(?:mall\.jd\.com|shop\.m\.jd\.com)/[-_a-z0-9./?=]+|[a-z0-9.-]*\.test/shop/[-_a-z0-9]+)`)
	digits = regexp.MustCompile(`[^0-9]`)
)

// fold undoes width tricks (ＶＸ１３８ → VX138) and lower-cases.
func fold(s string) string {
	return strings.ToLower(norm.NFKC.String(s))
}

// Extract finds the contact handles in texts (title, description, OCR
// text), each once.
func Extract(texts ...string) []Handle {
	seen := map[string]bool{}
	var out []Handle
	add := func(h Handle) {
		if !seen[h.Key()] {
			seen[h.Key()] = true
			out = append(out, h)
		}
	}
	for _, t := range texts {
		f := fold(t)
		for _, m := range wechatRE.FindAllStringSubmatch(f, -1) {
			add(Handle{Kind: WeChat, Value: m[1], Text: strings.TrimSpace(m[0])})
		}
		for _, m := range qqRE.FindAllStringSubmatch(f, -1) {
			add(Handle{Kind: QQ, Value: m[1], Text: strings.TrimSpace(m[0])})
		}
		for _, m := range phoneRE.FindAllStringSubmatch(f, -1) {
			add(Handle{Kind: Phone, Value: digits.ReplaceAllString(m[1], ""), Text: strings.TrimSpace(m[1])})
		}
		for _, m := range shopRE.FindAllStringSubmatch(f, -1) {
			add(Handle{Kind: Shop, Value: strings.TrimRight(m[1], "/"), Text: m[0]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// shopSuffixes are generic endings of shop names, longest first.
var shopSuffixes = []string{"官方旗舰店", "旗舰店", "专营店", "专卖店", "工作室", "直营店", "企业店", "的小店", "小店", "的店", "商行", "精品店", "店铺", "店"}

var nameNoise = regexp.MustCompile(`[\s\p{P}\p{S}]+`)

// NormalizeName reduces a seller name to its distinctive part: width and
// case folded, punctuation, spaces and generic shop suffixes removed. The
// site is not part of the result, so that the same name on two sites
// compares equal.
func NormalizeName(name string) string {
	n := nameNoise.ReplaceAllString(fold(name), "")
	for changed := true; changed; {
		changed = false
		for _, s := range shopSuffixes {
			if strings.HasSuffix(n, s) && len(n) > len(s) {
				n, changed = strings.TrimSuffix(n, s), true
			}
		}
	}
	return n
}

// distinctive reports whether a normalised name says enough to link two
// shops on it alone: at least 4 characters.
func distinctive(n string) bool { return len([]rune(n)) >= 4 }
