// Package matchers is markwatch's judgement: it finds protected marks in a
// listing's text despite the ways sellers hide them, scores the signs that
// the goods are counterfeit, and explains every verdict.
//
// # Registry
//
// Marks are read from configs/marks/*.yaml (see MarksFile and Mark): each has
// an id, a kind (trademark, special mark or geographical indication), its
// names in every script, and what decides a verdict: context words that must
// appear for names that are ordinary words (苹果 needs 手机), excluded phrases
// that contain a name but are not the mark (茅台镇), a price floor, licensed
// sellers, a GI's regions and a validity window. Signals (configs/signals.yaml)
// hold counterfeit slang with weights, the words of descriptive use and the
// scoring threshold.
//
// # Matching
//
// Each field (title, description) is normalised one rune at a time into a
// skeleton (normalize.go): compatibility forms and width folded, case and
// look-alike letters from other scripts folded, traditional characters
// simplified, zero-width characters dropped, separators between letters
// ignored. Every skeleton rune remembers the original rune it came from, so
// a hit's start, end and text always point at the listing as written.
//
// One Aho-Corasick automaton (automaton.go) holds the skeletons of every
// name, context word, excluded phrase, slang term and descriptive word of
// the whole registry, so a listing is scanned once whatever the number of
// marks; the automaton runs over the skeleton as the normaliser produces
// it, in the same pass. Occurrences are then checked against the original text: Latin names
// need word boundaries there (no apple in crabapple, no dior in diorama),
// names need their context, and names inside excluded phrases or longer
// hits are dropped. A name right after 适用于, 兼容 or for, or right before
// 专用, is descriptive use. Patent numbers are found by their own scanner
// (patent.go) and validated: check character, year, and term by type.
//
// # Verdict policy
//
// Each mark with hits gets a score, the noisy-or 1-Π(1-w) of a base weight
// and the weights of its signals; the listing's score is the highest, and it
// is suspect when the score reaches the threshold. With the default weights
// this is the policy of issue 3: a special mark used by an unlicensed seller,
// a GI shipped from outside its regions, a trademark with counterfeit slang
// or below its price floor, and an invalid, future or expired patent number
// are suspect; a plain mention, descriptive use and an authorized seller are
// not. Every verdict lists the hits and the signals behind its score.
//
// Two limits of the policy are deliberate. Counterfeit slang and price
// floors apply to trademarks only: a GI is judged by where it ships from and
// a special mark by who sells it. A listing that names an accessory (手机壳,
// 表带, configured in signals.yaml) is not judged by a brand's price floor,
// since the floor is the price of the goods themselves; slang still counts.
//
// Matcher.Match implements pipeline.Matcher and is safe for concurrent use.
// `markwatch match` runs it over JSON lines; `markwatch marks check`
// validates mark files and prints what each mark will match.
package matchers
