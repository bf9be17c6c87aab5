package fakemarket

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

// SellerListing is a listing of the seller-network data set: a seller on
// one of the three sites, what it wrote, and its photos' hashes.
type SellerListing struct {
	Site        string   `json:"site"`
	ID          string   `json:"id"`
	Seller      string   `json:"seller"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	ImageHashes []string `json:"image_hashes,omitempty"`
}

// SellerNetworks is a generated data set of sellers across the three sites
// with its ground truth: Network[site+"/"+seller] is the network a seller
// belongs to (1..n), or 0 for an independent seller.
type SellerNetworks struct {
	Listings []SellerListing
	Network  map[string]int
}

// GenerateSellerNetworks builds networks operations across mart, gbk and
// api: each runs 2 to 4 shops under varied names on at least two sites and
// sends buyers to one WeChat id, QQ number or phone number, written in a
// different disguise in each shop (加V, 薇信, ＶＸ, full-width digits,
// separators), shares product photos, or keeps its shop name. Independent
// sellers give their own contacts and carry the hard negatives: service
// hotlines (400-…), model and order numbers, generic shop names (运动鞋专卖店)
// on several sites, and a stock photo many of them share.
func GenerateSellerNetworks(seed int64, networks, independents int) *SellerNetworks {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x73656c6c657273)) // "sellers"
	out := &SellerNetworks{Network: map[string]int{}}
	sites := SiteNames()
	counter := 0
	listing := func(site, seller, title, desc string, images ...string) {
		counter++
		out.Listings = append(out.Listings, SellerListing{Site: site, ID: fmt.Sprintf("S%s%05d", sitePrefix[site], counter),
			Seller: seller, Title: title, Description: desc, ImageHashes: images})
	}
	goods := []string{"高仿耐克运动鞋", "香奶奶同款包包", "劳力仕 水鬼 手表", "阿迪三叶草卫衣", "驴家老花钱包", "AJ1 倒钩 原单", "古驰腰带 1:1"}
	nicks := []string{"阿强", "小美", "鞋王", "潮人", "老李", "莆田哥", "大卫", "靓仔", "阿飞", "晓东", "东哥", "小雨", "乐乐", "安安", "凯文"}
	for n := 1; n <= networks; n++ {
		wechat := fmt.Sprintf("%s_%d%s", []string{"shoe", "lux", "wat", "bag", "kk", "aq"}[rng.IntN(6)], 100+rng.IntN(900), string(rune('a'+rng.IntN(26))))
		phone := fmt.Sprintf("1%d%d%08d", 3+rng.IntN(7), rng.IntN(10), rng.IntN(100000000))
		qq := fmt.Sprint(10000000 + rng.IntN(900000000))
		photo := fmt.Sprintf("phash:%016x", rng.Uint64())
		base := nicks[(n-1)%len(nicks)] + []string{"潮鞋", "名品", "精品", "奢品"}[rng.IntN(4)] + fmt.Sprint(n)
		shops := 2 + rng.IntN(3)
		// The shared means of this network: shop s shows means[s%3] and
		// means[(s+1)%3], so consecutive shops always share one and the
		// network is connected; a shop showing "name" keeps the network's
		// shop name, the others trade under names of their own.
		means := []string{"wechat", "phone", "qq", "photo", "name"}
		rng.Shuffle(len(means), func(i, j int) { means[i], means[j] = means[j], means[i] })
		means = means[:3]
		for s := 0; s < shops; s++ {
			site := sites[(n+s)%3]
			shown := []string{means[s%3], means[(s+1)%3]}
			seller := nicks[rng.IntN(len(nicks))] + fmt.Sprintf("优选%d%d", n, s) + "店"
			var desc []string
			var images []string
			for _, m := range shown {
				switch m {
				case "name":
					seller = base + []string{"旗舰店", "专营店", "的小店", " 工作室", "店"}[rng.IntN(5)]
				case "wechat":
					desc = append(desc, disguiseWeChat(rng, wechat))
				case "phone":
					desc = append(desc, disguisePhone(rng, phone))
				case "qq":
					desc = append(desc, []string{"QQ:", "扣扣 ", "企鹅号 "}[rng.IntN(3)]+qq)
				case "photo":
					images = append(images, photo)
				}
			}
			out.Network[site+"/"+seller] = n
			for k := 0; k < 2+rng.IntN(2); k++ {
				listing(site, seller, goods[rng.IntN(len(goods))], strings.Join(desc, "，")+" 支持验货", append(images, fmt.Sprintf("phash:%016x", rng.Uint64()))...)
			}
		}
	}
	for i := 0; i < independents; i++ {
		site := sites[i%3]
		seller := fmt.Sprintf("%s%s%d号店", []string{"星辰", "海蓝", "东风", "兴隆", "百货", "优品"}[i%6], []string{"商贸", "百货", "服饰", "数码"}[i%4], i)
		if i%5 == 0 {
			seller = "运动鞋专卖店" // a generic name on every site, never a link
		}
		if out.Network[site+"/"+seller] == 0 {
			out.Network[site+"/"+seller] = 0
		}
		own := []string{
			fmt.Sprintf("加V %s", fmt.Sprintf("ind_%04d%c", i, 'a'+rune(i%26))),
			fmt.Sprintf("电话 1%d%d%08d", 3+i%7, i%10, 20000000+i*7919),
			fmt.Sprintf("QQ %d", 200000000+i*31),
		}[i%3]
		noise := []string{"客服热线 400-820-8820", "货号 20231145678-2", "订单号 2026030112345678", "型号 AJ1-1985", "正品保证 假一赔十"}[i%5]
		photo := fmt.Sprintf("phash:%016x", rng.Uint64())
		if i%6 == 0 {
			photo = StockPhoto // the brand's official product shot, used by many
		}
		for k := 0; k < 2; k++ {
			listing(site, seller, goods[rng.IntN(len(goods))], own+"，"+noise, photo)
		}
	}
	return out
}

// StockPhoto is the hash of a product photo that many unrelated sellers
// use (a brand's official shot): sharing it links nobody.
const StockPhoto = "phash:5t0c4f0t0ff1c1a1"

func disguiseWeChat(rng *rand.Rand, id string) string {
	switch rng.IntN(6) {
	case 0:
		return "加V: " + id
	case 1:
		return "薇信 " + id
	case 2:
		return "ＶＸ：" + toFullWidth(id)
	case 3:
		return "➕V " + id
	case 4:
		return "微信号 " + id
	default:
		return "wx=" + id
	}
}

func disguisePhone(rng *rand.Rand, p string) string {
	switch rng.IntN(4) {
	case 0:
		return "电话 " + p
	case 1:
		return "手机 " + p[:3] + "-" + p[3:7] + "-" + p[7:]
	case 2:
		return "联系 " + toFullWidth(p[:3]+" "+p[3:7]+" "+p[7:])
	default:
		return "加V " + p // a phone number as the WeChat id
	}
}

func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '!' && r <= '~':
			b.WriteRune(r + 0xFEE0)
		case r == ' ':
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// LinkScore is a pairwise comparison of predicted seller networks with
// the generator's truth.
type LinkScore struct {
	TruePositive, FalsePositive, FalseNegative int
	// Linked, FalseLinks and Missed are the pairs ("site/seller") of each
	// kind.
	Linked, FalseLinks, Missed [][2]string
}

// Precision of the predicted links (1 when none was predicted).
func (s LinkScore) Precision() float64 {
	if s.TruePositive+s.FalsePositive == 0 {
		return 1
	}
	return float64(s.TruePositive) / float64(s.TruePositive+s.FalsePositive)
}

// Recall of the true links (1 when there are none).
func (s LinkScore) Recall() float64 {
	if s.TruePositive+s.FalseNegative == 0 {
		return 1
	}
	return float64(s.TruePositive) / float64(s.TruePositive+s.FalseNegative)
}

// ScoreLinks scores predicted networks pairwise over the data set's
// sellers: predicted maps "site/seller" to a network id ("" or absent:
// linked to nobody); a pair is predicted linked when both have the same
// id, truly linked when the generator put both in one network.
func (d *SellerNetworks) ScoreLinks(predicted map[string]string) LinkScore {
	sellers := make([]string, 0, len(d.Network))
	for s := range d.Network {
		sellers = append(sellers, s)
	}
	sort.Strings(sellers)
	var out LinkScore
	for i, a := range sellers {
		for _, b := range sellers[i+1:] {
			truth := d.Network[a] != 0 && d.Network[a] == d.Network[b]
			pred := predicted[a] != "" && predicted[a] == predicted[b]
			switch {
			case truth && pred:
				out.TruePositive++
				out.Linked = append(out.Linked, [2]string{a, b})
			case pred:
				out.FalsePositive++
				out.FalseLinks = append(out.FalseLinks, [2]string{a, b})
			case truth:
				out.FalseNegative++
				out.Missed = append(out.Missed, [2]string{a, b})
			}
		}
	}
	return out
}
