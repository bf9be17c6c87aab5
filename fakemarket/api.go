package fakemarket

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
)

// JSON shapes of the api site, layout 1. Structs, not maps, so that the
// field order (and so the bytes) is stable.
type (
	apiEnvelope struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    any    `json:"data"`
		TraceID string `json:"traceId"`
	}
	apiShop struct {
		ShopID   string `json:"shopId"`
		ShopName string `json:"shopName"`
	}
	apiItem struct {
		ItemID    string   `json:"itemId"`
		Title     string   `json:"title"`
		PriceText string   `json:"priceText"`
		PriceFen  int64    `json:"priceFen"`
		Shop      apiShop  `json:"shop"`
		Location  string   `json:"location"`
		PicURL    string   `json:"picUrl"`
		DetailURL string   `json:"detailUrl"`
		Sales     string   `json:"sales"`
		Tags      []string `json:"tags"`
	}
	apiSearch struct {
		Keyword    string    `json:"keyword"`
		Page       int       `json:"page"`
		PageSize   int       `json:"pageSize"`
		Total      int       `json:"total"`
		TotalPages int       `json:"totalPages"`
		HasMore    bool      `json:"hasMore"`
		NoResult   bool      `json:"noResult"`
		Items      []apiItem `json:"items"`
	}
	apiCategory struct {
		Path   string   `json:"path"`
		Levels []string `json:"levels"`
	}
	apiDetail struct {
		ItemID       string      `json:"itemId"`
		Title        string      `json:"title"`
		Desc         string      `json:"desc"`
		PriceText    string      `json:"priceText"`
		PriceFen     int64       `json:"priceFen"`
		Shop         apiShop     `json:"shop"`
		DeliveryFrom string      `json:"deliveryFrom"`
		Category     apiCategory `json:"category"`
		Images       []string    `json:"images"`
		Sales        string      `json:"sales"`
	}
)

// Layout 2 of the api site: the same data under other names.
type (
	apiGoods2 struct {
		GoodsID   string `json:"goodsId"`
		GoodsName string `json:"goodsName"`
		SalePrice string `json:"salePrice"`
		Store     struct {
			Name string `json:"name"`
		} `json:"store"`
		SendCity string `json:"sendCity"`
		MainPic  string `json:"mainPic"`
		Link     string `json:"link"`
	}
	apiSearch2 struct {
		Result struct {
			List  []apiGoods2 `json:"list"`
			Empty bool        `json:"empty"`
			Count int         `json:"count"`
			Next  bool        `json:"next"`
		} `json:"result"`
	}
	apiDetail2 struct {
		Goods struct {
			apiGoods2
			Intro    string `json:"intro"`
			CatNames string `json:"catNames"`
		} `json:"goods"`
	}
)

func fen(p float64) int64 { return int64(math.Round(p * 100)) }

func shopID(seller string) string { return fmt.Sprintf("S%08x", hashString(seller)) }

func jsonResponse(status int, v any) *response {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return &response{status: http.StatusInternalServerError, contentType: "application/json; charset=utf-8",
			body: []byte(`{"code":500,"message":"encode error"}`)}
	}
	return &response{status: status, contentType: "application/json; charset=utf-8", body: b.Bytes()}
}

func (s *Server) api(r *http.Request, layout int) *response {
	p := r.URL.Path
	q := r.URL.Query()
	trace := fmt.Sprintf("%016x", uint64(hashString(r.URL.RequestURI()))<<32|uint64(hashString(p)))
	switch {
	case p == "/api" || p == "/api/":
		return jsonResponse(http.StatusOK, apiEnvelope{Message: "success", TraceID: trace, Data: map[string][]string{
			"endpoints": {"/api/v1/search?keyword={query}&page={page}", "/api/v1/item?id={id}"},
			"hot":       s.cat.queries,
		}})
	case p == "/api/v1/search":
		return s.apiSearch(q.Get("keyword"), pageNumber(q.Get("page")), layout, trace)
	case p == "/api/v1/item":
		l := s.siteListing(SiteAPI, q.Get("id"))
		if l == nil {
			return jsonResponse(http.StatusNotFound, apiEnvelope{Code: 404, Message: "item not found", TraceID: trace})
		}
		return s.apiItem(l, layout, trace)
	case strings.HasPrefix(p, "/api/static/pic/"):
		return s.image(p)
	case strings.HasPrefix(p, "/api/private/") || strings.HasPrefix(p, "/api/v1/internal"):
		return jsonResponse(http.StatusOK, apiEnvelope{Message: "success", TraceID: trace, Data: map[string]string{"member": "private"}})
	}
	return jsonResponse(http.StatusNotFound, apiEnvelope{Code: 404, Message: "no such endpoint", TraceID: trace})
}

func (s *Server) apiSearch(query string, page, layout int, trace string) *response {
	listings, pages := s.pageOf(SiteAPI, query, page)
	total := len(s.searchIndexes(SiteAPI, query))
	if layout == 2 {
		var d apiSearch2
		d.Result.List = []apiGoods2{}
		for _, l := range listings {
			d.Result.List = append(d.Result.List, goods2(l))
		}
		d.Result.Empty = len(listings) == 0
		d.Result.Count = total
		d.Result.Next = page < pages
		return jsonResponse(http.StatusOK, apiEnvelope{Message: "success", TraceID: trace, Data: d})
	}
	d := apiSearch{Keyword: query, Page: page, PageSize: PageSize, Total: total, TotalPages: pages,
		HasMore: page >= 1 && page < pages, NoResult: len(listings) == 0, Items: []apiItem{}}
	for _, l := range listings {
		tags := []string{"包邮"}
		if l.Sales > 1000 {
			tags = append(tags, "热卖")
		}
		d.Items = append(d.Items, apiItem{ItemID: l.ID, Title: l.Title, PriceText: cardPrice(l, "¥"), PriceFen: fen(*l.Price),
			Shop: apiShop{ShopID: shopID(l.Seller), ShopName: l.Seller}, Location: l.ShipFrom, PicURL: l.Image,
			DetailURL: l.URL, Sales: salesText(l.Sales), Tags: tags})
	}
	return jsonResponse(http.StatusOK, apiEnvelope{Message: "success", TraceID: trace, Data: d})
}

func goods2(l *Listing) apiGoods2 {
	g := apiGoods2{GoodsID: l.ID, GoodsName: l.Title, SalePrice: cardPrice(l, "¥"), SendCity: l.ShipFrom, MainPic: l.Image, Link: l.URL}
	g.Store.Name = l.Seller
	return g
}

func (s *Server) apiItem(l *Listing, layout int, trace string) *response {
	if layout == 2 {
		var d apiDetail2
		d.Goods.apiGoods2 = goods2(l)
		d.Goods.SalePrice = "¥" + comma(*l.Price)
		d.Goods.Intro = l.Description
		d.Goods.CatNames = l.Category
		return jsonResponse(http.StatusOK, apiEnvelope{Message: "success", TraceID: trace, Data: d})
	}
	d := apiDetail{ItemID: l.ID, Title: l.Title, Desc: l.Description, PriceText: "¥" + comma(*l.Price), PriceFen: fen(*l.Price),
		Shop: apiShop{ShopID: shopID(l.Seller), ShopName: l.Seller}, DeliveryFrom: l.ShipFrom,
		Category: apiCategory{Path: l.Category, Levels: strings.Split(l.Category, " > ")},
		Images:   []string{l.Image}, Sales: salesText(l.Sales)}
	return jsonResponse(http.StatusOK, apiEnvelope{Message: "success", TraceID: trace, Data: d})
}
