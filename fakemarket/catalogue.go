package fakemarket

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/markwatch/markwatch"
)

// Classes of listings. Every listing has exactly one; Truth.Suspect follows
// from the class (see the table in doc.go).
const (
	// Suspect classes.
	ClassCounterfeitSlang   = "counterfeit-slang"    // trademark + slang (高仿, A货, 1:1 …), normal price
	ClassBelowFloor         = "below-floor"          // trademark at ≤ 0.4 × min_price, no slang
	ClassObfuscatedSpaces   = "obfuscated-spaces"    // 耐-克, N I K E, 阿.迪.达.斯 + a signal
	ClassFullwidth          = "fullwidth"            // ＰＲＡＤＡ + a signal
	ClassTraditional        = "traditional"          // 愛馬仕, 阿迪達斯 + a signal
	ClassCyrillic           = "cyrillic-lookalike"   // Chаnel with Cyrillic а + a signal
	ClassDigitForLetter     = "digit-for-letter"     // R0LEX + a signal
	ClassZeroWidth          = "zero-width"           // 耐\u200b克 + a signal
	ClassSpecialUnauthorize = "special-unauthorized" // special mark, seller not licensed
	ClassGIOutside          = "gi-outside-region"    // GI shipped from outside its regions
	ClassInvalidPatent      = "invalid-patent"       // bad check character, future year or expired utility model
	// Evasive suspect classes (issue 12): the mark is named without its
	// name, plus a signal.
	ClassAlias          = "alias"              // 驴家, 香奶奶, 耐吉, 迪通拿
	ClassPinyin         = "pinyin"             // naike, Nai克, pu la da
	ClassHomophone      = "homophone"          // 奈克, 香奈尔, 劳力仕
	ClassLookalikeHan   = "lookalike-han"      // 劳力土, 古弛, 阿迪达期
	ClassConfusable     = "unicode-confusable" // ɴɪᴋᴇ, 🅽🅸🅺🅴, ᏟᎻᎪNEL, ℝ𝕆𝕃𝔼𝕏
	ClassEmojiSeparator = "emoji-separator"    // N💥I💥K💥E, 香💕奈💕儿
	ClassDoubledLetter  = "doubled-letter"     // NIIKE, Guccci, Rollex
	ClassClaim          = "claim"              // 耐克同款, 香奈儿平替 at a normal price
	ClassGIEvocation    = "gi-evocation"       // 阳澄湖品质 on crabs from elsewhere

	// Not-suspect classes.
	ClassGIInside          = "gi-inside-region"   // GI shipped from inside its regions
	ClassGIUnknown         = "gi-unknown-origin"  // GI, no ship-from shown
	ClassGenuineAuthorized = "genuine-authorized" // authorized seller, normal price
	ClassPlainMention      = "plain-mention"      // mark named at a normal price, no signal
	ClassDescriptive       = "descriptive"        // 适用于华为, 兼容小米, for Apple, 耐克专用
	ClassFruitApple        = "fruit-apple"        // 红富士苹果, 烟台苹果
	ClassGrainMillet       = "grain-millet"       // 黄小米
	ClassLatinSubstring    = "latin-substring"    // pineapple, crabapple, diorama, channel, LVDS
	ClassPlaceName         = "place-name"         // 茅台镇 without the mark
	ClassCommonWord        = "common-word"        // 潮涌, 莲莲, 江南忆 without context; 神舟 laptops
	ClassSlangNoMark       = "slang-no-mark"      // replica slang but no mark at all
	ClassValidPatent       = "valid-patent"       // a patent number that exists
	ClassGeneric           = "generic"            // ordinary goods
	// Hard negatives of issue 12.
	ClassNicknameOrdinary = "nickname-ordinary"   // 老花镜, 水鬼 手电筒: a nickname in its ordinary sense
	ClassSoundAlike       = "sound-alike-word"    // 化为泡影, 花为媒: a word that sounds like a mark
	ClassWordBoundary     = "word-boundary"       // 克劳迪奥, 忍耐克制, 耐克森: a name inside or across words
	ClassLevelModel       = "level-model-date"    // LV5, Lv.10, 杭州2022年, 1+ 1岁
	ClassPairing          = "pairing-descriptive" // 配对苹果手机, 支持华为快充
)

// suspectClass says which classes are suspect by the contract's rules.
var suspectClass = map[string]bool{
	ClassCounterfeitSlang: true, ClassBelowFloor: true, ClassObfuscatedSpaces: true, ClassFullwidth: true,
	ClassTraditional: true, ClassCyrillic: true, ClassDigitForLetter: true, ClassZeroWidth: true,
	ClassSpecialUnauthorize: true, ClassGIOutside: true, ClassInvalidPatent: true,
	ClassAlias: true, ClassPinyin: true, ClassHomophone: true, ClassLookalikeHan: true, ClassConfusable: true,
	ClassEmojiSeparator: true, ClassDoubledLetter: true, ClassClaim: true, ClassGIEvocation: true,
}

// Classes lists every class in a stable order.
func Classes() []string {
	return []string{
		ClassCounterfeitSlang, ClassBelowFloor, ClassObfuscatedSpaces, ClassFullwidth, ClassTraditional,
		ClassCyrillic, ClassDigitForLetter, ClassZeroWidth, ClassSpecialUnauthorize, ClassGIOutside,
		ClassInvalidPatent, ClassAlias, ClassPinyin, ClassHomophone, ClassLookalikeHan, ClassConfusable,
		ClassEmojiSeparator, ClassDoubledLetter, ClassClaim, ClassGIEvocation,
		ClassGIInside, ClassGIUnknown, ClassGenuineAuthorized, ClassPlainMention, ClassDescriptive,
		ClassFruitApple, ClassGrainMillet, ClassLatinSubstring, ClassPlaceName, ClassCommonWord,
		ClassSlangNoMark, ClassValidPatent, ClassGeneric,
		ClassNicknameOrdinary, ClassSoundAlike, ClassWordBoundary, ClassLevelModel, ClassPairing,
	}
}

// SuspectClass reports whether listings of class are suspect.
func SuspectClass(class string) bool { return suspectClass[class] }

// Truth is the ground truth of one listing: what a correct matcher following
// the contract's verdict rules says about it.
type Truth struct {
	Suspect bool `json:"suspect"`
	// Marks are the mark ids a correct matcher reports as non-descriptive
	// hits (markwatch.Verdict.Marks()), "patent" for a listing whose patent
	// number is invalid, future or expired. Sorted.
	Marks []string `json:"marks,omitempty"`
	// Descriptive are mark ids named only in descriptive use (适用于X …).
	Descriptive []string `json:"descriptive,omitempty"`
	Class       string   `json:"class"`
	// Detail says more about the class: the obfuscated form, the signal
	// (slang word or "price"), the patent defect ("bad-check", "future",
	// "expired-utility-model"), the hard-negative phrase.
	Detail string `json:"detail,omitempty"`
	// Patent is the patent number written in the listing, normalised as
	// YYYYTNNNNNNN.C (digits, a dot, the check character), if any.
	Patent string `json:"patent,omitempty"`
	// Image is the truth of the listing's generated photo (nil: a
	// placeholder GIF).
	Image *ImageTruth `json:"image,omitempty"`
}

// Listing is one generated listing: the fields a site shows (URL and Image
// are paths on the listing's site, to be resolved against its base URL)
// plus its ground truth and the terms search queries match.
type Listing struct {
	markwatch.Listing
	// PriceHigh is the upper end of a price range ("¥99-199"); 0 for a
	// single price. Price is always the lowest price shown.
	PriceHigh float64 `json:"price_high,omitempty"`
	Truth     Truth   `json:"truth"`
	// Terms are the lower-cased words a search query is matched against
	// (substring), besides the title.
	Terms []string `json:"terms"`
	// Sales is the "monthly sales" noise number shown on cards.
	Sales int `json:"sales"`
}

// Site names. Each listing belongs to exactly one site.
const (
	SiteMart = "mart" // UTF-8 HTML
	SiteGBK  = "gbk"  // GBK HTML, table layout
	SiteAPI  = "api"  // JSON API
	// SiteJS renders its cards in the browser from a JSON endpoint: its
	// HTML has no listing. Its listings exist only in catalogues generated
	// WithJSListings (see jsmart.go).
	SiteJS = "js"
)

// SiteNames lists the three sites every catalogue fills, in a stable order
// (SiteJS, filled only on request, is not among them).
func SiteNames() []string { return []string{SiteMart, SiteGBK, SiteAPI} }

// servedSites are the sites a Server serves: SiteNames and SiteJS.
func servedSites() []string { return []string{SiteMart, SiteGBK, SiteAPI, SiteJS} }

// Catalogue is a generated, immutable set of listings with ground truth.
// It is safe for concurrent use.
type Catalogue struct {
	seed     int64
	listings []Listing
	byID     map[string]int
	queries  []string
	networks *SellerNetworks
}

// Option configures Generate.
type Option func(*genConfig)

type genConfig struct {
	listings               int
	jsListings             int
	networks, independents int
}

// DefaultListings is the catalogue size when WithListings is not given.
const DefaultListings = 900

// WithListings sets the number of listings (at least 1). Every class is
// present on every site from RecipesPerCycle() listings up.
func WithListings(n int) Option {
	return func(c *genConfig) {
		if n > 0 {
			c.listings = n
		}
	}
}

// WithJSListings adds n listings for the JavaScript site (SiteJS) after the
// three sites' listings. They continue the same recipe cycle, so the other
// sites' listings are the same with or without them, byte for byte; from
// RecipesPerCycle() of them up every class is on the JavaScript site.
func WithJSListings(n int) Option {
	return func(c *genConfig) {
		if n > 0 {
			c.jsListings = n
		}
	}
}

// WithSellerNetworks adds the listings of GenerateSellerNetworks(seed,
// networks, independents) to the catalogue, on their sites after the
// generated ones: sellers that share contacts in their descriptions or a
// shop name across the three sites (their photos are placeholders, so
// shared photos are not served). Their class is "seller-network"; a
// search for NetworkQuery (or a word of their titles) finds them.
// Catalogue.SellerNetworks has the ground truth.
func WithSellerNetworks(networks, independents int) Option {
	return func(c *genConfig) {
		c.networks, c.independents = max(0, networks), max(0, independents)
	}
}

// NetworkQuery is the search query that finds every seller-network
// listing (WithSellerNetworks).
const NetworkQuery = "百货"

// RecipesPerCycle is the number of listings after which every recipe (and
// so every class, on every site) has been used once.
func RecipesPerCycle() int { return len(buildRecipes()) }

// Generate builds the catalogue for seed. The same seed and options give the
// same catalogue, byte for byte.
func Generate(seed int64, opts ...Option) *Catalogue {
	cfg := genConfig{listings: DefaultListings}
	for _, o := range opts {
		o(&cfg)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6d61726b77617463)) // "markwatc"
	recipes := buildRecipes()
	// Shuffle the recipe order once per seed, so that search results mix
	// classes, then cycle through it: every recipe appears once before any
	// appears twice.
	order := rng.Perm(len(recipes))
	cat := &Catalogue{seed: seed, byID: make(map[string]int, cfg.listings)}
	counters := map[string]int{}
	var classTurn map[string]int
	for i := 0; i < cfg.listings+cfg.jsListings; i++ {
		round := i / len(recipes)
		if i%len(recipes) == 0 {
			classTurn = map[string]int{}
		}
		r := recipes[order[i%len(recipes)]]
		// Within a cycle the recipes of one class take the sites in turn
		// (every class has at least three recipes, so one cycle puts every
		// class on every site); the turn shifts each cycle, so every recipe
		// visits every site. The JavaScript site's listings come after.
		site := SiteNames()[(classTurn[r.class]+round)%3]
		if i >= cfg.listings {
			site = SiteJS
		}
		classTurn[r.class]++
		counters[site]++
		l := r.build(rng, round)
		l.Site = site
		l.ID = fmt.Sprintf("%s%06d", sitePrefix[site], counters[site])
		l.URL = itemPath(site, l.ID)
		l.Image = imagePath(site, l.ID)
		l.Sales = salesNumber(rng)
		l.Truth.Suspect = suspectClass[l.Truth.Class]
		slices.Sort(l.Truth.Marks)
		l.Truth.Marks = slices.Compact(l.Truth.Marks)
		slices.Sort(l.Truth.Descriptive)
		l.Truth.Descriptive = slices.Compact(l.Truth.Descriptive)
		l.Terms = normaliseTerms(l.Terms)
		assignImage(&l)
		cat.byID[l.ID] = len(cat.listings)
		cat.listings = append(cat.listings, l)
	}
	if cfg.networks > 0 || cfg.independents > 0 {
		cat.addSellerNetworks(GenerateSellerNetworks(seed, cfg.networks, cfg.independents))
	}
	cat.queries = defaultQueries()
	return cat
}

// addSellerNetworks puts the data set's listings on their sites. They
// are counterfeit offers (高仿, 原单, 1:1, nicknames of the houses) at a
// counterfeit's price: suspect.
func (c *Catalogue) addSellerNetworks(data *SellerNetworks) {
	c.networks = data
	for _, sl := range data.Listings {
		l := Listing{Truth: Truth{Class: "seller-network", Suspect: true, Detail: "generated seller network data"}}
		l.Site, l.ID, l.Seller, l.Title, l.Description = sl.Site, sl.ID, sl.Seller, sl.Title, sl.Description
		l.URL, l.Image = itemPath(sl.Site, sl.ID), imagePath(sl.Site, sl.ID)
		price := 59.0
		l.Price = &price
		l.Terms = normaliseTerms([]string{NetworkQuery})
		c.byID[l.ID] = len(c.listings)
		c.listings = append(c.listings, l)
	}
}

// SellerNetworks is the ground truth of the seller-network listings
// (WithSellerNetworks); nil when there are none.
func (c *Catalogue) SellerNetworks() *SellerNetworks { return c.networks }

var sitePrefix = map[string]string{SiteMart: "M", SiteGBK: "G", SiteAPI: "A", SiteJS: "J"}

func itemPath(site, id string) string {
	switch site {
	case SiteGBK:
		return "/gbk/goods.php?id=" + id
	case SiteAPI:
		return "/api/v1/item?id=" + id
	case SiteJS:
		return "/js/item/" + id
	}
	return "/mart/item/" + id + ".html"
}

func imagePath(site, id string) string {
	switch site {
	case SiteGBK:
		return "/gbk/pic/" + id + ".jpg"
	case SiteAPI:
		return "/api/static/pic/" + id + ".jpg"
	case SiteJS:
		return "/js/img/" + id + ".jpg"
	}
	return "/mart/img/" + id + ".jpg"
}

func salesNumber(rng *rand.Rand) int {
	switch rng.IntN(4) {
	case 0:
		return rng.IntN(50)
	case 1:
		return 50 + rng.IntN(950)
	case 2:
		return 1000 + rng.IntN(9000)
	}
	return 10000 + rng.IntN(90000)
}

func normaliseTerms(terms []string) []string {
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Seed returns the seed the catalogue was generated from.
func (c *Catalogue) Seed() int64 { return c.seed }

// Listings returns all listings, in generation order. The slice is a copy;
// the listings share their Terms and Truth.Marks slices with the catalogue
// and must not be modified.
func (c *Catalogue) Listings() []Listing { return slices.Clone(c.listings) }

// SiteListings returns the listings of one site, in generation order.
func (c *Catalogue) SiteListings(site string) []Listing {
	var out []Listing
	for _, l := range c.listings {
		if l.Site == site {
			out = append(out, l)
		}
	}
	return out
}

// Listing returns the listing with this id.
func (c *Catalogue) Listing(id string) (Listing, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Listing{}, false
	}
	return c.listings[i], true
}

// Truth returns the ground truth of the listing with this id.
func (c *Catalogue) Truth(id string) (Truth, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Truth{}, false
	}
	return c.listings[i].Truth, true
}

// Queries returns the default queries a demo sweep runs: one per mark family
// plus generic ones. Together their results cover every listing and every
// class on every site.
func (c *Catalogue) Queries() []string { return slices.Clone(c.queries) }

func defaultQueries() []string {
	var qs []string
	for _, b := range brands {
		if !slices.Contains(qs, b.query) {
			qs = append(qs, b.query)
		}
	}
	return append(qs, genericQueries...)
}

// genericQueries are the default queries of the listings that belong to no
// mark family.
var genericQueries = []string{"专利", "水果", "百货"}

// Search returns the listings of site matching query, in the order the
// site shows them: a listing matches when the lower-cased, trimmed query is
// a substring of one of its terms or of its lower-cased title. An empty
// query matches nothing.
func (c *Catalogue) Search(site, query string) []Listing {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return nil
	}
	var out []Listing
	for _, l := range c.listings {
		if l.Site != site {
			continue
		}
		if matchesQuery(&l, q) {
			out = append(out, l)
		}
	}
	return out
}

// Reachable returns the distinct listings of site that a sweep of these
// queries finds (every result page of every query, each listing once), in
// catalogue order: the denominator of a sweep's recall.
func (c *Catalogue) Reachable(site string, queries ...string) []Listing {
	seen := map[string]bool{}
	for _, q := range queries {
		for _, l := range c.Search(site, q) {
			seen[l.ID] = true
		}
	}
	var out []Listing
	for _, l := range c.listings {
		if seen[l.ID] {
			out = append(out, l)
		}
	}
	return out
}

func matchesQuery(l *Listing, q string) bool {
	if strings.Contains(strings.ToLower(l.Title), q) {
		return true
	}
	for _, t := range l.Terms {
		if strings.Contains(t, q) {
			return true
		}
	}
	return false
}
