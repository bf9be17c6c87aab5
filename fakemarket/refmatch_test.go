package fakemarket

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// A small reference matcher, written from the contract alone, checks every
// listing's Truth.Marks and Truth.Descriptive: it catches a generator that
// writes a mark name by accident (in a pool word, a shop, a description) or
// labels a listing with a mark it does not name. It knows only the
// obfuscations the generator uses; the real matcher (package matchers) is
// far more general.

var (
	refT2S = strings.NewReplacer("愛", "爱", "馬", "马", "達", "达", "兒", "儿", "勞", "劳", "馳", "驰", "華", "华", "為", "为",
		"蘋", "苹", "奧", "奥", "飛", "飞", "臺", "台", "亞", "亚", "運", "运", "會", "会", "蓮", "莲", "國", "国", "載", "载", "陽", "阳", "閘", "闸", "陳", "陈")
	refCyrillic = strings.NewReplacer("а", "a", "А", "A", "е", "e", "Е", "E", "о", "o", "О", "O", "р", "p", "Р", "P",
		"с", "c", "С", "C", "Н", "H")
	// Runs of single letters or digits joined by separators: N I K E, P.R.A.D.A, L·V.
	refSpaced = regexp.MustCompile(`\b(?:[A-Za-z0-9][ .\-*·]){1,}[A-Za-z0-9]\b`)
	refToken  = regexp.MustCompile(`[a-z0-9]+`)
	refSkel   = strings.NewReplacer("0", "o", "1", "l", "i", "l")
)

func refFold(s string) string {
	s = norm.NFKC.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	return refT2S.Replace(refCyrillic.Replace(s))
}

// refCompact keeps letters and digits only, lower-cased: separators between
// CJK characters disappear.
func refCompact(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// refGlued joins a short Latin word to the digits it is glued to (LV5,
// Lv.10): a game level or a model number, not the name (contract).
var refGlued = regexp.MustCompile(`\b([A-Za-z]{1,3})[.\-_]?([0-9]+)`)

func refTokens(s string) []string {
	s = refGlued.ReplaceAllString(s, "$1$2")
	s = refSpaced.ReplaceAllStringFunc(s, func(m string) string {
		return strings.Map(func(r rune) rune {
			if strings.ContainsRune(" .-*·", r) {
				return -1
			}
			return r
		}, m)
	})
	toks := refToken.FindAllString(strings.ToLower(s), -1)
	for i, t := range toks {
		toks[i] = refSkel.Replace(t)
	}
	return toks
}

func isCJKName(name string) bool {
	for _, r := range name {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

type refName struct {
	id      string
	cjk     bool
	compact string   // CJK names
	tokens  []string // Latin names
}

var refNames = func() []refName {
	var out []refName
	for id, names := range contractNames {
		for _, name := range names {
			if isCJKName(name) {
				out = append(out, refName{id: id, cjk: true, compact: refCompact(name)})
			} else {
				out = append(out, refName{id: id, tokens: refTokens(name)})
			}
		}
	}
	return out
}()

// refMatch returns the marks named non-descriptively and those named only
// descriptively in a listing's title and description. Context words count
// anywhere in the listing (the contract: "in the listing").
func refMatch(title, description string) (marks, descriptive []string) {
	plain, desc := map[string]bool{}, map[string]bool{}
	whole := refCompact(refFold(title + " " + description))
	for _, field := range []string{title, description} {
		folded := refFold(field)
		compact := refCompact(folded)
		tokens := refTokens(folded)
		for _, nm := range refNames {
			if ctx := contractContext[nm.id]; ctx != nil {
				ok := false
				for _, c := range ctx {
					ok = ok || strings.Contains(whole, refCompact(c))
				}
				if !ok {
					continue
				}
			}
			id := nm.id
			if nm.cjk {
				n := nm.compact
				for off := 0; ; {
					i := strings.Index(compact[off:], n)
					if i < 0 {
						break
					}
					start, end := off+i, off+i+len(n)
					off = end
					if refExcluded(compact, start, end, id) {
						continue
					}
					before, after := compact[:start], compact[end:]
					if n[len(n)-1] >= '0' && n[len(n)-1] <= '9' && strings.HasPrefix(after, "年") {
						continue // 杭州2022年: a date (contract)
					}
					if strings.HasSuffix(before, "适用于") || strings.HasSuffix(before, "兼容") || strings.HasSuffix(before, "for") ||
						strings.HasSuffix(before, "配对") || strings.HasSuffix(before, "支持") || strings.HasPrefix(after, "专用") {
						desc[id] = true
					} else {
						plain[id] = true
					}
				}
				continue
			}
			nt := nm.tokens
			for i := 0; i+len(nt) <= len(tokens); i++ {
				if slices.Equal(tokens[i:i+len(nt)], nt) {
					if i > 0 && tokens[i-1] == "for" {
						desc[id] = true
					} else {
						plain[id] = true
					}
				}
			}
		}
	}
	// Evasive forms (contractEvasions), written literally by the generator.
	for id, forms := range contractEvasions {
		text := title + " / " + description
		for _, name := range contractNames[id] { // 阿迪 inside 阿迪达斯 is the name, judged above
			if isCJKName(name) {
				text = strings.ReplaceAll(text, name, " ")
			}
		}
		for _, f := range forms {
			if strings.Contains(text, f) {
				plain[id] = true
			}
		}
	}
	for id := range plain {
		marks = append(marks, id)
	}
	for id := range desc {
		if !plain[id] {
			descriptive = append(descriptive, id)
		}
	}
	slices.Sort(marks)
	slices.Sort(descriptive)
	return marks, descriptive
}

func refExcluded(compact string, start, end int, id string) bool {
	for _, ex := range contractExclude[id] {
		ex = refCompact(ex)
		for off := 0; ; {
			i := strings.Index(compact[off:], ex)
			if i < 0 {
				break
			}
			if off+i <= start && end <= off+i+len(ex) {
				return true
			}
			off += i + 1
		}
	}
	return false
}

func TestTruthMarksMatchReference(t *testing.T) {
	cat := Generate(11)
	bad := 0
	for _, l := range cat.Listings() {
		marks, descriptive := refMatch(l.Title, l.Description)
		want := slices.DeleteFunc(slices.Clone(l.Truth.Marks), func(m string) bool { return m == "patent" })
		if !slices.Equal(marks, want) || !slices.Equal(descriptive, l.Truth.Descriptive) {
			if bad++; bad <= 20 {
				t.Errorf("%s (%s): %q / %q\n  reference marks %v descriptive %v\n  truth     marks %v descriptive %v",
					l.ID, l.Truth.Class, l.Title, l.Description, marks, descriptive, want, l.Truth.Descriptive)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d listings disagree with the reference matcher", bad)
	}
}

// The reference matcher itself must see through each obfuscation and stay
// quiet on each hard negative, or the test above proves nothing.
func TestReferenceMatcher(t *testing.T) {
	cases := []struct {
		text string
		want []string
		desc []string
	}{
		{"N I K E Air Max 高仿", []string{"nike"}, nil},
		{"ＰＲＡＤＡ 尼龙包", []string{"prada"}, nil},
		{"愛馬仕 铂金包", []string{"hermes"}, nil},
		{"Ch\u0430nel CF", []string{"chanel"}, nil},
		{"R0LEX 水鬼", []string{"rolex"}, nil},
		{"耐" + zwsp + "克 跑鞋", []string{"nike"}, nil},
		{"红富士苹果 5斤", nil, nil},
		{"黄小米 小米粥", nil, nil},
		{"Pineapple 耳机套", nil, nil},
		{"Diorama 模型", nil, nil},
		{"茅台镇 酱香酒", nil, nil},
		{"茅台镇 飞天茅台 礼盒", []string{"moutai"}, nil},
		{"适用于华为Mate60 手机壳", nil, []string{"huawei"}},
		{"for Apple Watch 表带 手表", nil, []string{"apple"}},
		{"for Apple Watch 表带", nil, nil}, // no context word
		{"潮涌 钱塘江", nil, nil},
		{"潮涌 亚运会徽", []string{"hangzhou-2022-emblem"}, nil},
		{"香奶奶 链条包", []string{"chanel"}, nil},
		{"N💥I💥K💥E 跑鞋", []string{"nike"}, nil},
		{"西湖品质 龙井", []string{"gi-xihu-longjing"}, nil},
		{"克劳迪奥 钢琴", nil, nil},
		{"LV5 装备", nil, nil},
		{"Lv.10 满级", nil, nil},
		{"LV 老花", []string{"louis-vuitton"}, nil},
		{"杭州2022年 连衣裙", nil, nil},
		{"配对苹果手机 耳机", nil, []string{"apple"}},
	}
	for _, c := range cases {
		marks, desc := refMatch(c.text, "")
		if !slices.Equal(marks, c.want) || !slices.Equal(desc, c.desc) {
			t.Errorf("refMatch(%q) = %v %v, want %v %v", c.text, marks, desc, c.want, c.desc)
		}
	}
}
