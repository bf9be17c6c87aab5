package markwatch

import (
	"strconv"
	"time"
)

// Listing is one marketplace offer as extracted by a site adapter. It is also
// the input line of `markwatch match`: only ID and Title are required there.
type Listing struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Price       *float64 `json:"price,omitempty"` // in Currency; nil when the page showed none
	// Currency of Price (ISO 4217): the price text's own mark, else the
	// site adapter's currency (default CNY). Empty reads as CNY.
	Currency string `json:"currency,omitempty"`
	Seller   string `json:"seller,omitempty"`
	ShipFrom string `json:"ship_from,omitempty"`
	Category string `json:"category,omitempty"`
	URL      string `json:"url,omitempty"`
	Site     string `json:"site,omitempty"`
	Image    string `json:"image,omitempty"`
	// Images are further image URLs of the listing (an adapter's images:
	// field), after Image; the images step fetches a bounded number.
	Images    []string  `json:"images,omitempty"`
	FetchedAt time.Time `json:"fetched_at,omitzero"`
	// ItemPage, on a listing that is its search card alone although the
	// adapter follows item pages, says why the item page was not read: an
	// outcome of crawler.Classify and the error ("gone: fetch …: status
	// 404", "failed: …", "skipped: …"). Empty when the item page was read
	// or the adapter reads no item pages.
	ItemPage string `json:"item_page,omitempty"`
	// Ad: the listing was shown as an advertisement on its search page
	// (alone, or besides its organic result; the listing keeps the organic
	// card's position and fields).
	Ad bool `json:"ad,omitempty"`
	// Evidence is the SHA-256 (hex) of the stored page this listing was read
	// from; empty until the page is preserved.
	Evidence string `json:"evidence,omitempty"`
	// Photos are the listing's images as the images step fetched (or
	// refused) them, main image first; empty when images are off.
	Photos []Photo `json:"photos,omitempty"`
	// ImageText is the text OCR read in the listing's photos, one photo's
	// text after another separated by ImageTextSeparator; the matcher reads
	// it as the field "image_text".
	ImageText string `json:"image_text,omitempty"`
	// PhotoHits are the near-duplicate hits of the photos against the
	// marks' reference images (Via "photo"); the matcher puts them in the
	// verdict beside the text hits.
	PhotoHits []Hit `json:"photo_hits,omitempty"`
}

// ImageTextSeparator separates the OCR text of consecutive photos in
// Listing.ImageText (a form feed, as Tesseract ends a page).
const ImageTextSeparator = "\f"

// Photo is one listing image: where it came from, its content address in
// evidence (beside the page) and what OCR read in it, or why it was
// refused.
type Photo struct {
	URL    string `json:"url"`
	SHA256 string `json:"sha256,omitempty"` // of the fetched bytes; empty when refused
	Format string `json:"format,omitempty"` // jpeg, png, gif, webp
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	// Refused says why the image was not used (a reason word such as
	// "pixels", "too_large", "content_type", "domain", and the error).
	Refused string `json:"refused,omitempty"`
	// Text is what OCR read in it (empty when OCR did not run).
	Text string `json:"text,omitempty"`
	OCR  bool   `json:"ocr,omitempty"` // OCR ran on it
}

// PhotoIndex returns the 1-based number of the photo whose OCR text holds
// rune offset start of ImageText.
func (l *Listing) PhotoIndex(start int) int {
	n, i := 1, 0
	for _, r := range l.ImageText {
		if i >= start {
			break
		}
		if string(r) == ImageTextSeparator {
			n++
		}
		i++
	}
	return n
}

// PriceValue returns the price and whether one is known. A price of zero
// or below is not a price (a placeholder, 面议, a parse that found nothing):
// it must not read as "far below the genuine floor".
func (l *Listing) PriceValue() (float64, bool) {
	if l.Price == nil || !(*l.Price > 0) {
		return 0, false
	}
	return *l.Price, true
}

// PriceCNY is the price in CNY, for comparing with price floors: the
// price itself when its currency is CNY (or unstated), else converted
// through rates (CNY per unit of the currency). note says what was done
// ("20.97 USD at 7.1 CNY/USD", or why no price: "20.97 USD: no rate to
// CNY"), for the verdict. ok is false without a usable CNY price.
func (l *Listing) PriceCNY(rates map[string]float64) (price float64, note string, ok bool) {
	p, ok := l.PriceValue()
	if !ok {
		return 0, "", false
	}
	if l.Currency == "" || l.Currency == "CNY" {
		return p, "", true
	}
	amount := strconv.FormatFloat(p, 'f', -1, 64) + " " + l.Currency
	rate, ok := rates[l.Currency]
	if !ok || !(rate > 0) {
		return 0, amount + ": no rate to CNY configured, not compared with CNY price floors", false
	}
	return p * rate, amount + " at " + strconv.FormatFloat(rate, 'f', -1, 64) + " CNY/" + l.Currency, true
}

// Page is a fetched response as the crawler saw it: the raw body, before any
// decoding, is what evidence preserves.
type Page struct {
	Task      Task              `json:"task"`
	URL       string            `json:"url"`       // requested URL
	FinalURL  string            `json:"final_url"` // after redirects
	Status    int               `json:"status"`
	Header    map[string]string `json:"header,omitempty"`
	Body      []byte            `json:"-"`
	FetchedAt time.Time         `json:"fetched_at"`
	Truncated bool              `json:"truncated,omitempty"` // body hit the size limit or was cut short
	// Adapter is the site adapter that read the page, "name@version" (the
	// version is a short hash of the adapter file).
	Adapter string `json:"adapter,omitempty"`
	// Screenshot is a full-page PNG of a page rendered in a browser (an
	// adapter with fetch: browser); nil otherwise.
	Screenshot []byte `json:"-"`
}

// Extracted is what a crawler read from one fetched page: the listings on it
// and the tasks it leads to (item pages, the next search page).
type Extracted struct {
	Page     *Page
	Listings []Listing
	Follow   []Task
}
