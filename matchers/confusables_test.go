package matchers

import (
	"testing"
	"unicode"

	uts39 "github.com/mtibben/confusables"
)

// TestConfusablesUTS39 walks the whole Unicode UTS #39 confusables table
// (as github.com/mtibben/confusables carries it) and counts the characters
// whose prototype is one ASCII letter or digit that the normaliser folds to
// that prototype's own skeleton. Issue 12 asks for at least 1,350.
func TestConfusablesUTS39(t *testing.T) {
	total, folded := 0, 0
	var missed []string
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		proto := uts39.Skeleton(string(r))
		if len(proto) != 1 || !(isASCIILetter(rune(proto[0])|0x20) || isASCIIDigit(rune(proto[0]))) || proto == string(r) {
			continue
		}
		total++
		if foldString(string(r)) == foldString(proto) {
			folded++
		} else if len(missed) < 20 {
			missed = append(missed, string(r)+"→"+proto)
		}
	}
	t.Logf("UTS #39: %d of %d characters with an ASCII prototype fold to it; first misses: %v", folded, total, missed)
	if folded < 1350 {
		t.Errorf("only %d of %d ASCII-prototype confusables fold to their prototype, want at least 1,350", folded, total)
	}
}

// TestNamedLetters: letters Unicode draws but UTS #39 leaves out (small
// capitals, negative circled, regional indicators) fold too, and so do
// combining strokes and accents.
func TestNamedLetters(t *testing.T) {
	for in, want := range map[string]string{
		"ɴɪᴋᴇ": "nlke", "🅝🅘🅚🅔": "nlke", "🇳🇮🇰🇪": "nlke", "🄽🄸🄺🄴": "nlke", "ⓝⓘⓚⓔ": "nlke",
		"N̶I̶K̶E̶": "nlke", "ÑÍKÉ": "nlke", "𝓝𝓲𝓴𝓮": "nlke", "ոіке": "nlke", "ᎻᎬᏒᎷᎬᏚ": "hermes",
	} {
		if got := foldString(in); got != want {
			t.Errorf("fold %q = %q, want %q", in, got, want)
		}
	}
}
