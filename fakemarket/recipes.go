package fakemarket

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// A recipe writes one listing of one class; round (0, 1, 2 …) counts how
// many times the generator has cycled through all recipes, so that a recipe
// varies its wording, names and signals from round to round.
type recipe struct {
	class string
	build func(rng *rand.Rand, round int) Listing
}

// buildRecipes returns every recipe, in a fixed order. The mix (how many
// recipes per class) sets the share of suspects: about 35%.
func buildRecipes() []recipe {
	var rs []recipe
	add := func(n int, class string, f func(rng *rand.Rand, round int) Listing) {
		for i := 0; i < n; i++ {
			k := i
			rs = append(rs, recipe{class: class, build: func(rng *rand.Rand, round int) Listing { return f(rng, round*n+k) }})
		}
	}
	for i := range brands {
		b := &brands[i]
		switch b.kind {
		case kindTrademark:
			add(1, ClassCounterfeitSlang, b.counterfeitSlang)
			add(1, ClassBelowFloor, b.belowFloor)
			add(4, ClassPlainMention, b.plainMention)
			if b.seller != "" {
				add(2, ClassGenuineAuthorized, b.genuine)
			}
			add(1, ClassClaim, b.claim)
			for j := range b.descriptive {
				p := b.descriptive[j]
				add(1, ClassDescriptive, func(rng *rand.Rand, round int) Listing { return b.descriptiveUse(rng, round, p) })
			}
		case kindSpecial:
			add(2, ClassSpecialUnauthorize, b.specialUnauthorized)
			add(2, ClassGenuineAuthorized, b.genuine)
		case kindGI:
			add(2, ClassGIOutside, b.giOutside)
			add(2, ClassGIInside, b.giInside)
			add(1, ClassGIUnknown, b.giUnknown)
			if b.place != "" {
				add(1, ClassGIEvocation, b.giEvocation)
			}
		}
		for j := range b.obfs {
			o := b.obfs[j]
			add(1, o.class, func(rng *rand.Rand, round int) Listing { return b.obfuscated(rng, round, o) })
		}
	}
	add(1, ClassCounterfeitSlang, multiBrand)
	add(3, ClassInvalidPatent, invalidPatentListing)
	add(5, ClassValidPatent, validPatentListing)
	for _, n := range hardNegatives {
		n := n
		add(2, n.class, func(rng *rand.Rand, round int) Listing { return n.listing(rng, round) })
	}
	add(3, ClassSlangNoMark, slangNoMark)
	add(140, ClassGeneric, genericListing)
	return rs
}

// Pools of neutral words. None of them names a contract mark, carries a
// context word of one, or is replica slang.
var (
	unauthorizedShops = []string{"潮流前线小铺", "优品汇生活馆", "阿杰的杂货铺", "名品折扣屋", "星辰数码港", "精选好物社",
		"步履不停运动店", "城市衣橱", "百货易购", "乐享生活馆", "东门精品店", "小鹿优选", "全球购集合店", "鑫源贸易商行"}
	accessoryShops = []string{"数码配件专营", "手机壳工厂店", "鞋护理研究所", "智能穿戴配件馆", "充电小站"}
	foodShops      = []string{"鲜果园直供", "农家特产铺", "蟹老板水产", "茶香阁", "米仓粮油", "岭南干货行", "湖畔水产合作社"}
	wineShops      = []string{"醉香酒坊", "酱香老酒馆", "名酒汇"}
	giftShops      = []string{"文创潮玩屋", "义乌小商品批发", "纪念品收藏馆", "徽章工坊"}
	generalFrom    = []string{"广东 广州", "广东 深圳", "浙江 义乌", "福建 泉州", "上海 上海", "北京 北京", "江苏 南京",
		"山东 青岛", "四川 成都", "湖北 武汉", "河南 郑州", "湖南 长沙", "天津 天津", "重庆 重庆"}
	foodExtras = []string{"现货速发", "顺丰冷链", "当天发货", "产地直发", "送礼佳品", "限时特惠"}
	extras     = []string{"2024新款", "现货速发", "顺丰包邮", "男女同款", "送礼自用", "七天无理由", "当天发货", "限时特惠"}
	phrases    = []string{"支持七天无理由退换货。", "下单后48小时内发货。", "全国大部分地区包邮，偏远地区除外。",
		"实物拍摄，颜色以实物为准。", "如有质量问题请联系客服处理。", "收藏加购优先发货。",
		"本店承诺假一赔十。", "请按平时尺码选购。", "支持开具电子发票。", "详情请咨询在线客服。"}
)

func pick(rng *rand.Rand, xs []string) string { return xs[rng.IntN(len(xs))] }

// prose returns n neutral sentences.
func prose(rng *rand.Rand, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(pick(rng, phrases))
	}
	return b.String()
}

// normalPrice is clearly above the floor: 1.3 to 2.5 times it, rounded up
// (to a thousand from 10,000 up, so that some cards can show "1.2万").
func (b *brand) normalPrice(rng *rand.Rand) float64 {
	p := b.minPrice * (1.3 + rng.Float64()*1.2)
	if b.minPrice >= 10000 {
		return math.Ceil(p/1000) * 1000
	}
	return math.Ceil(p)
}

// cheapPrice is clearly below the floor: at most 0.4 times it.
func (b *brand) cheapPrice(rng *rand.Rand) float64 {
	p := math.Floor(b.minPrice * (0.08 + rng.Float64()*0.32))
	if p >= 10 {
		p -= 0.1 // 129.9, 59.9 …
	}
	return p
}

func priceBetween(rng *rand.Rand, lo, hi float64) float64 {
	return math.Round(lo+rng.Float64()*(hi-lo)) + []float64{0, 0.9, 0.5, 0}[rng.IntN(4)]
}

func (b *brand) product(round int) product { return b.products[round%len(b.products)] }

// shownName is the plain (unobfuscated) name the listing uses: the Chinese
// name, or on some rounds the Latin one.
func (b *brand) shownName(round int) string {
	if b.latin != "" && round%3 == 1 {
		return b.latin
	}
	if b.id == "hangzhou-2022-asian-games" {
		return []string{"杭州亚运会", "第19届亚运会", "杭州2022", "第十九届亚运会", "Hangzhou 2022"}[round%5]
	}
	if b.id == "china-manned-space" && round%2 == 1 {
		return "神舟十六号"
	}
	if b.id == "hangzhou-2022-mascots" && round%3 != 0 {
		return []string{"莲莲", "琮琮", "宸宸", "江南忆"}[round%4]
	}
	if b.id == "moutai" && round%2 == 1 {
		return "飞天茅台"
	}
	return b.cn
}

// withContext prefixes the context word a mark needs, when the product name
// does not already carry it.
func (b *brand) withContext(name string, p product) string {
	if b.context == "" || strings.Contains(p.name, b.context) {
		return name
	}
	return name + " " + b.context
}

func (b *brand) base(rng *rand.Rand, class string, p product) Listing {
	var l Listing
	l.Truth.Class = class
	l.Category = p.category
	l.ShipFrom = pick(rng, generalFrom)
	l.Seller = pick(rng, unauthorizedShops)
	l.Terms = []string{b.query, b.cn, b.latin, leafCategory(p.category)}
	return l
}

func leafCategory(c string) string {
	if i := strings.LastIndex(c, ">"); i >= 0 {
		return strings.TrimSpace(c[i+1:])
	}
	return c
}

func (b *brand) counterfeitSlang(rng *rand.Rand, round int) Listing {
	p := b.product(round)
	l := b.base(rng, ClassCounterfeitSlang, p)
	slang := slangWords[round%len(slangWords)]
	if round%4 == 3 {
		// The slang itself hidden by separators (高.仿, 原-单), which a
		// matcher drops as it does between the letters of a mark.
		slang = obfuscatedSlang[(round/4)%len(obfuscatedSlang)]
	}
	name := b.withContext(b.shownName(round), p)
	price := b.normalPrice(rng)
	l.Price = &price
	l.Truth.Marks = []string{b.id}
	l.Truth.Detail = "slang:" + slang
	if round%3 == 2 {
		// The mark only in the description, the slang in the title.
		l.Title = fmt.Sprintf("%s %s %s", p.name, slang, pick(rng, extras))
		l.Description = fmt.Sprintf("%s %s，%s版本，做工细致。%s", name, p.name, slang, prose(rng, 2))
	} else {
		l.Title = fmt.Sprintf("%s %s %s %s", slang, name, p.name, pick(rng, extras))
		l.Description = fmt.Sprintf("%s品质，细节到位，懂的来。%s", slang, prose(rng, 3))
	}
	return l
}

// obfuscatedSlang are contract slang words with separators inside.
var obfuscatedSlang = []string{"高.仿", "原-单", "纯*原", "A 货"}

// multiBrand names two trademarks in one counterfeit listing ("耐克 阿迪达斯
// 同款"): both are marks of the verdict.
func multiBrand(rng *rand.Rand, round int) Listing {
	pairs := [][2]string{{"nike", "adidas"}, {"chanel", "dior"}, {"gucci", "prada"}, {"louis-vuitton", "hermes"}}
	pair := pairs[round%len(pairs)]
	a, b := brandByID(pair[0]), brandByID(pair[1])
	p := a.product(round)
	l := a.base(rng, ClassCounterfeitSlang, p)
	slang := slangWords[(round+2)%len(slangWords)]
	price := math.Max(a.normalPrice(rng), b.normalPrice(rng))
	l.Price = &price
	l.Title = fmt.Sprintf("%s %s 联名 %s %s", a.cn, b.cn, p.name, slang)
	l.Description = "两大品牌联名款，" + slang + "品质。" + prose(rng, 2)
	l.Terms = append(l.Terms, b.query, b.cn, b.latin)
	l.Truth.Marks = []string{a.id, b.id}
	l.Truth.Detail = "slang:" + slang
	return l
}

func (b *brand) belowFloor(rng *rand.Rand, round int) Listing {
	p := b.product(round)
	l := b.base(rng, ClassBelowFloor, p)
	name := b.withContext(b.shownName(round), p)
	price := b.cheapPrice(rng)
	l.Price = &price
	l.Title = fmt.Sprintf("%s %s %s", name, p.name, pick(rng, extras))
	l.Description = "清仓特价，数量有限，先到先得。" + prose(rng, 3)
	l.Truth.Marks = []string{b.id}
	l.Truth.Detail = "price"
	return l
}

func (b *brand) plainMention(rng *rand.Rand, round int) Listing {
	p := b.product(round)
	l := b.base(rng, ClassPlainMention, p)
	name := b.withContext(b.shownName(round), p)
	price := b.normalPrice(rng)
	l.Price = &price
	if round%4 == 3 {
		// The mark only in the description, which then carries the
		// context word too (if the mark needs one), so the mark counts
		// whether a matcher looks for context per field or per listing.
		l.Title = fmt.Sprintf("%s %s", p.name, pick(rng, extras))
		described := b.shownName(round)
		if b.context != "" {
			described += " " + b.context
		}
		l.Description = fmt.Sprintf("品牌：%s。%s", described, prose(rng, 3))
	} else {
		l.Title = fmt.Sprintf("%s %s %s", name, p.name, pick(rng, extras))
		l.Description = prose(rng, 4)
	}
	l.Truth.Marks = []string{b.id}
	return l
}

func (b *brand) genuine(rng *rand.Rand, round int) Listing {
	p := b.product(round)
	l := b.base(rng, ClassGenuineAuthorized, p)
	l.Seller = b.seller
	name := b.withContext(b.shownName(round), p)
	var price float64
	if b.minPrice > 0 {
		price = b.normalPrice(rng)
	} else {
		price = priceBetween(rng, 29, 399)
	}
	l.Price = &price
	if b.kind == kindSpecial {
		name = b.specialName(round, p)
		l.Title = fmt.Sprintf("%s %s 官方授权", name, p.name)
	} else {
		l.Title = fmt.Sprintf("%s %s 官方正品", name, p.name)
	}
	l.Description = "官方旗舰店发货，正品保障，支持专柜验货。" + prose(rng, 2)
	l.Truth.Marks = b.specialMarks(round)
	return l
}

// claim names the mark with a claim right after it (耐克同款, 香奈儿平替) at
// a normal price: the claim is the signal.
func (b *brand) claim(rng *rand.Rand, round int) Listing {
	p := b.product(round)
	l := b.base(rng, ClassClaim, p)
	word := claimWords[round%len(claimWords)]
	price := b.normalPrice(rng)
	l.Price = &price
	l.Title = fmt.Sprintf("%s%s %s %s", b.withContext(b.cn, p), word, p.name, pick(rng, extras))
	if b.context != "" && !strings.Contains(p.name, b.context) {
		l.Title = fmt.Sprintf("%s%s %s %s %s", b.cn, word, b.context, p.name, pick(rng, extras))
	}
	l.Description = prose(rng, 3)
	l.Truth.Marks = []string{b.id}
	l.Truth.Detail = b.cn + " +claim:" + word
	return l
}

// giEvocation writes a GI's place with a quality claim (阳澄湖品质) on goods
// shipped from outside its regions: GI misuse.
func (b *brand) giEvocation(rng *rand.Rand, round int) Listing {
	l := b.giBase(rng, ClassGIEvocation, round)
	claim := giClaims[round%len(giClaims)]
	l.ShipFrom = b.outside[round%len(b.outside)]
	l.Title = strings.Replace(l.Title, b.cn, b.place+claim+" "+strings.TrimPrefix(b.cn, b.place), 1)
	l.Terms = append(l.Terms, b.cn)
	l.Truth.Detail = b.place + claim + " +ship_from:" + l.ShipFrom
	return l
}

func (b *brand) descriptiveUse(rng *rand.Rand, round int, p product) Listing {
	l := b.base(rng, ClassDescriptive, p)
	l.Seller = pick(rng, accessoryShops)
	price := priceBetween(rng, 9, 89)
	l.Price = &price
	l.Title = p.name
	l.Description = "非原厂配件，品质可靠，安装简单。" + prose(rng, 2)
	l.Truth.Descriptive = []string{b.id}
	l.Truth.Detail = p.name
	return l
}

// specialName writes a special mark's name (with its context where it
// needs one) for a title.
func (b *brand) specialName(round int, p product) string {
	name := b.withContext(b.shownName(round), p)
	if b.id == "hangzhou-2022-mascots" && round%2 == 1 {
		// Event name and mascots together: two marks.
		return "杭州亚运会 " + name
	}
	return name
}

// specialMarks are the marks a specialName names.
func (b *brand) specialMarks(round int) []string {
	if b.id == "hangzhou-2022-mascots" && round%2 == 1 {
		return []string{b.id, "hangzhou-2022-asian-games"}
	}
	return []string{b.id}
}

// lookalikeLicensees are shop names that look licensed but are not in any
// mark's authorized_sellers.
var lookalikeLicensees = []string{"杭州亚运特许商品专营店", "亚运会官方特许商品店", "中国航天文创专卖店"}

func (b *brand) specialUnauthorized(rng *rand.Rand, round int) Listing {
	p := b.product(round)
	l := b.base(rng, ClassSpecialUnauthorize, p)
	l.Seller = pick(rng, giftShops)
	if round%3 == 2 {
		l.Seller = lookalikeLicensees[(round/3)%2]
		if b.id == "china-manned-space" {
			l.Seller = lookalikeLicensees[2]
		}
	}
	price := priceBetween(rng, 9, 199)
	l.Price = &price
	l.Title = fmt.Sprintf("%s %s %s", b.specialName(round, p), p.name, pick(rng, extras))
	l.Description = "精美做工，收藏送礼佳品。" + prose(rng, 3)
	l.Truth.Marks = b.specialMarks(round)
	return l
}

func (b *brand) giBase(rng *rand.Rand, class string, round int) Listing {
	p := b.product(round)
	l := b.base(rng, class, p)
	var price float64
	switch b.id {
	case "gi-yangchenghu-crab":
		price = priceBetween(rng, 198, 688)
		l.Seller = pick(rng, []string{"蟹老板水产", "湖畔水产合作社", "鲜活水产直供"})
	case "gi-xihu-longjing":
		price = priceBetween(rng, 88, 1288)
		l.Seller = pick(rng, []string{"茶香阁", "龙井茶庄", "明前茶舍"})
	case "gi-wuchang-rice":
		price = priceBetween(rng, 39, 299)
		l.Seller = pick(rng, []string{"米仓粮油", "农家特产铺", "黑土地粮行"})
	default:
		price = priceBetween(rng, 39, 299)
		l.Seller = pick(rng, []string{"岭南干货行", "农家特产铺", "陈皮世家"})
	}
	l.Price = &price
	l.Title = fmt.Sprintf("%s %s %s", b.cn, p.name, pick(rng, foodExtras))
	l.Description = "产地直发，新鲜到家，坏单包赔。" + prose(rng, 2)
	l.Truth.Marks = []string{b.id}
	return l
}

func (b *brand) giOutside(rng *rand.Rand, round int) Listing {
	l := b.giBase(rng, ClassGIOutside, round)
	l.ShipFrom = b.outside[round%len(b.outside)]
	l.Truth.Detail = "ship_from:" + l.ShipFrom
	return l
}

func (b *brand) giInside(rng *rand.Rand, round int) Listing {
	l := b.giBase(rng, ClassGIInside, round)
	l.ShipFrom = b.inside[round%len(b.inside)]
	l.Truth.Detail = "ship_from:" + l.ShipFrom
	return l
}

func (b *brand) giUnknown(rng *rand.Rand, round int) Listing {
	l := b.giBase(rng, ClassGIUnknown, round)
	l.ShipFrom = ""
	return l
}

// obfuscated writes the mark in a hidden form. Trademarks carry a
// counterfeit signal (slang on even rounds, a price below the floor on odd
// ones) so that they are suspect; special marks are suspect anyway (the
// seller is not licensed). GIs are not obfuscated here.
func (b *brand) obfuscated(rng *rand.Rand, round int, o obfuscation) Listing {
	p := b.product(round)
	l := b.base(rng, o.class, p)
	l.Truth.Marks = []string{b.id}
	name := b.withContext(o.form, p)
	if o.form == "神-舟-十-六-号" {
		l.Terms = append(l.Terms, "神舟十六号")
	}
	if b.kind == kindGI {
		// A hidden GI name on goods from outside the region.
		g := b.giBase(rng, o.class, round)
		g.ShipFrom = b.outside[round%len(b.outside)]
		g.Title = strings.Replace(g.Title, b.cn, o.form, 1)
		g.Terms = append(g.Terms, b.cn)
		g.Truth.Detail = o.form + " +ship_from:" + g.ShipFrom
		return g
	}
	if b.kind == kindSpecial {
		l.Seller = pick(rng, giftShops)
		price := priceBetween(rng, 9, 199)
		l.Price = &price
		l.Title = fmt.Sprintf("%s %s %s", name, p.name, pick(rng, extras))
		l.Description = "精美做工，收藏送礼佳品。" + prose(rng, 2)
		l.Truth.Detail = o.form
		return l
	}
	if round%2 == 0 {
		slang := slangWords[(round/2)%len(slangWords)]
		price := b.normalPrice(rng)
		l.Price = &price
		l.Title = fmt.Sprintf("%s %s %s %s", name, p.name, slang, pick(rng, extras))
		l.Truth.Detail = o.form + " +slang:" + slang
	} else {
		price := b.cheapPrice(rng)
		l.Price = &price
		l.Title = fmt.Sprintf("%s %s %s", name, p.name, pick(rng, extras))
		l.Truth.Detail = o.form + " +price"
	}
	l.Description = prose(rng, 4)
	return l
}

// A hardNegative is a listing that names no mark although it looks as if
// it did.
type hardNegative struct {
	class    string
	title    string
	category string
	query    string // family query whose results it appears in
	lo, hi   float64
	shipFrom string
	terms    []string
	// descriptive are the marks the title names in descriptive use only.
	descriptive []string
}

var hardNegatives = []hardNegative{
	{ClassFruitApple, "烟台苹果 红富士 新鲜水果 5斤装 脆甜多汁", "生鲜水果 > 苹果", "苹果", 19, 59, "山东 烟台", []string{"水果"}, nil},
	{ClassFruitApple, "红富士苹果 山东栖霞 10斤 当季现摘", "生鲜水果 > 苹果", "苹果", 29, 79, "山东 烟台", []string{"水果"}, nil},
	{ClassFruitApple, "阿克苏冰糖心苹果 新疆 5kg 整箱", "生鲜水果 > 苹果", "苹果", 39, 99, "新疆 阿克苏", []string{"水果"}, nil},
	{ClassGrainMillet, "黄小米 山西沁州 新米 5斤 小米粥", "粮油米面 > 杂粮", "小米", 19, 49, "山西 长治", []string{"杂粮", "百货"}, nil},
	{ClassGrainMillet, "东北黄小米 农家 2.5kg 月子米 真空装", "粮油米面 > 杂粮", "小米", 15, 39, "吉林 白城", []string{"杂粮", "百货"}, nil},
	{ClassLatinSubstring, "Pineapple 菠萝造型 耳机保护套 卡通硅胶", "手机数码 > 耳机配件", "苹果", 9, 29, "", []string{"apple"}, nil},
	{ClassLatinSubstring, "Crabapple 海棠花 手机支架 桌面摆件", "手机数码 > 手机配件", "苹果", 12, 39, "", []string{"apple"}, nil},
	{ClassLatinSubstring, "Applewood 苹果木 烟熏木屑 烧烤 1kg", "家居日用 > 烧烤用品", "苹果", 19, 49, "", []string{"apple"}, nil},
	{ClassLatinSubstring, "Diorama 微缩场景 手办模型 DIY 沙盘", "玩具乐器 > 模型", "迪奥", 59, 189, "", []string{"dior"}, nil},
	{ClassLatinSubstring, "Dual Channel 双通道 内存条 DDR4 16G 台式机", "电脑办公 > 内存", "香奈儿", 199, 399, "", []string{"chanel"}, nil},
	{ClassLatinSubstring, "LVDS 液晶屏排线 30针 笔记本屏线", "电脑办公 > 配件", "路易威登", 9, 39, "", []string{"lv"}, nil},
	{ClassPlaceName, "茅台镇 酱香型白酒 53度 坤沙 500ml*6瓶 整箱", "酒类 > 白酒", "茅台", 99, 399, "贵州 遵义", nil, nil},
	{ClassPlaceName, "仁怀茅台镇 纯粮原浆酒 2斤装 自饮", "酒类 > 白酒", "茅台", 39, 129, "贵州 遵义", nil, nil},
	{ClassCommonWord, "潮涌 钱塘江观潮 摄影作品集 精装", "图书 > 摄影", "亚运", 49, 128, "", []string{"潮涌"}, nil},
	{ClassCommonWord, "莲莲有鱼 婴儿安抚玩偶 毛绒", "母婴 > 玩偶", "亚运", 29, 69, "", []string{"莲莲"}, nil},
	{ClassCommonWord, "江南忆 古诗词 书法字画 客厅装饰", "家居日用 > 装饰画", "亚运", 59, 299, "", []string{"江南忆"}, nil},
	{ClassCommonWord, "神舟 战神 游戏笔记本电脑 i7 RTX4060", "电脑办公 > 笔记本", "航天", 4999, 6999, "", []string{"神舟"}, nil},
	// Issue 12: nicknames in their ordinary sense, words that sound like a
	// mark, names inside or across other words, levels and dates, and
	// pairing/support wording.
	{ClassNicknameOrdinary, "老花镜 老人 阅读眼镜 高清 防蓝光", "个护健康 > 眼镜", "路易威登", 19, 59, "", []string{"老花"}, nil},
	{ClassNicknameOrdinary, "水鬼 潜水 手电筒 强光 防水", "运动户外 > 潜水装备", "劳力士", 39, 99, "", []string{"水鬼"}, nil},
	{ClassNicknameOrdinary, "小蜜蜂 扩音器 教师 专用 腰挂", "数码影音 > 扩音器", "古驰", 49, 99, "", []string{"小蜜蜂"}, nil},
	{ClassNicknameOrdinary, "飞天 敦煌壁画 真丝 丝巾", "服饰配件 > 丝巾", "茅台", 59, 129, "", []string{"飞天"}, nil},
	{ClassSoundAlike, "化为泡影 文艺 摆件 树脂", "家居日用 > 摆件", "华为", 29, 69, "", []string{"化为"}, nil},
	{ClassSoundAlike, "花为媒 黄梅戏 经典 光盘", "图书 > 音像", "华为", 15, 39, "", []string{"花为"}, nil},
	{ClassSoundAlike, "Diao 钓鱼竿 碳素 超轻 手竿", "运动户外 > 渔具", "迪奥", 59, 199, "", []string{"dior"}, nil},
	{ClassWordBoundary, "克劳迪奥 立式钢琴 88键 家用", "玩具乐器 > 钢琴", "迪奥", 399, 899, "", []string{"dior"}, nil},
	{ClassWordBoundary, "忍耐克制 情绪管理 心理学 书籍", "图书 > 心理学", "耐克", 19, 49, "", []string{"nike"}, nil},
	{ClassWordBoundary, "耐克森 轮胎 205/55R16 静音", "汽车用品 > 轮胎", "耐克", 199, 299, "", []string{"nike"}, nil},
	{ClassWordBoundary, "复古驰骋 越野 骑行服 男 卫衣", "运动户外 > 骑行服", "古驰", 59, 199, "", []string{"gucci"}, nil},
	{ClassLevelModel, "LV5 装备 传奇 游戏 账号", "游戏 > 账号", "路易威登", 99, 399, "", []string{"lv"}, nil},
	{ClassLevelModel, "Lv.10 满级 角色 代练", "游戏 > 代练", "路易威登", 30, 199, "", []string{"lv"}, nil},
	{ClassLevelModel, "杭州2022年 夏季 连衣裙 新款", "女装 > 连衣裙", "亚运", 59, 199, "", []string{"杭州"}, nil},
	{ClassLevelModel, "宝宝 1+ 1岁 早教 玩具 套装", "母婴 > 玩具", "百货", 29, 99, "", nil, nil},
	{ClassPairing, "蓝牙耳机 配对苹果手机 无线 降噪", "手机数码 > 耳机", "苹果", 39, 199, "", nil, []string{"apple"}},
	{ClassPairing, "支持华为超级快充 充电头 66W", "手机数码 > 手机配件", "华为", 29, 79, "", nil, []string{"huawei"}},
	{ClassPairing, "数据线 支持小米手机 快充 1米", "手机数码 > 手机配件", "小米", 9, 29, "", nil, []string{"xiaomi"}},
}

func (n hardNegative) listing(rng *rand.Rand, round int) Listing {
	var l Listing
	l.Truth.Class = n.class
	l.Truth.Detail = strings.Fields(n.title)[0]
	l.Title = n.title
	if round%2 == 1 {
		l.Title += " " + pick(rng, extras)
	}
	l.Category = n.category
	l.Description = prose(rng, 4)
	price := priceBetween(rng, n.lo, n.hi)
	l.Price = &price
	l.ShipFrom = n.shipFrom
	if l.ShipFrom == "" {
		l.ShipFrom = pick(rng, generalFrom)
	}
	switch n.category[:strings.Index(n.category, " ")] {
	case "生鲜水果", "粮油米面":
		l.Seller = pick(rng, foodShops)
	case "酒类":
		l.Seller = pick(rng, wineShops)
	default:
		l.Seller = pick(rng, unauthorizedShops)
	}
	l.Terms = append([]string{n.query, leafCategory(n.category)}, n.terms...)
	l.Truth.Descriptive = n.descriptive
	if n.descriptive != nil {
		l.Seller = pick(rng, accessoryShops)
	}
	return l
}

func slangNoMark(rng *rand.Rand, round int) Listing {
	items := []hardNegative{
		{title: "外贸原单 纯棉T恤 男 宽松 无品牌", category: "服饰 > T恤", lo: 29, hi: 59},
		{title: "高仿真 仿生花 客厅摆件 高仿绿植", category: "家居日用 > 仿真花", lo: 19, hi: 89},
		{title: "A货 925银 简约耳钉 原创设计", category: "珠宝配饰 > 耳饰", lo: 19, hi: 69},
	}
	n := items[round%len(items)]
	n.class = ClassSlangNoMark
	n.query = "百货"
	l := n.listing(rng, round)
	l.Terms = append(l.Terms, pick(rng, defaultFamilyQueries()))
	return l
}

var genericGoods = []hardNegative{
	{title: "纯棉短袖T恤 男 夏季宽松 多色", category: "服饰 > T恤", lo: 29, hi: 89},
	{title: "不锈钢保温杯 500ml 大容量 学生", category: "家居日用 > 水杯", lo: 39, hi: 129},
	{title: "家用电热水壶 1.7L 304不锈钢 自动断电", category: "家用电器 > 厨房电器", lo: 59, hi: 159},
	{title: "儿童绘本 全套10册 3-6岁 睡前故事", category: "图书 > 童书", lo: 29, hi: 99},
	{title: "加厚瑜伽垫 初学者 防滑 185cm", category: "运动户外 > 健身", lo: 39, hi: 99},
	{title: "无线蓝牙音箱 便携 防水 超长续航", category: "手机数码 > 音箱", lo: 69, hi: 299},
	{title: "真丝眼罩 遮光 睡眠 男女通用", category: "家居日用 > 眼罩", lo: 19, hi: 59},
	{title: "机械键盘 青轴 87键 有线 RGB背光", category: "电脑办公 > 键盘", lo: 129, hi: 399},
	{title: "双肩包 男 大容量 通勤 电脑包", category: "箱包皮具 > 双肩包", lo: 89, hi: 259},
	{title: "跑步鞋 男 透气 轻便 减震 运动鞋", category: "运动户外 > 运动鞋", lo: 99, hi: 299},
	{title: "女士手提包 通勤 大容量 简约托特包", category: "箱包皮具 > 女包", lo: 99, hi: 399},
	{title: "石英手表 男 简约 防水 钢带", category: "钟表 > 石英表", lo: 99, hi: 499},
	{title: "铁观音 浓香型 礼盒装 500g", category: "茶叶 > 乌龙茶", lo: 69, hi: 299},
	{title: "东北大米 长粒香 10kg 当季新米", category: "粮油米面 > 大米", lo: 49, hi: 99},
	{title: "鲜活小龙虾 4-6钱 3斤装 顺丰冷链", category: "生鲜水产 > 虾类", lo: 89, hi: 199},
	{title: "香水 女士 淡香 持久 玫瑰花香 50ml", category: "美妆护肤 > 香水", lo: 59, hi: 199},
	{title: "手机支架 桌面 懒人 可折叠 铝合金", category: "手机数码 > 手机配件", lo: 15, hi: 59},
	{title: "Type-C 数据线 快充 1米 编织", category: "手机数码 > 手机配件", lo: 9, hi: 39},
	{title: "纯粮酿造 浓香型白酒 52度 500ml", category: "酒类 > 白酒", lo: 59, hi: 199},
	{title: "航空模型 合金 客机 1:400 摆件", category: "玩具乐器 > 模型", lo: 49, hi: 159},
}

func genericListing(rng *rand.Rand, round int) Listing {
	n := genericGoods[round%len(genericGoods)]
	n.class = ClassGeneric
	n.query = "百货"
	l := n.listing(rng, round)
	if round%5 == 0 {
		// A price range, as many cards show for goods with variants.
		l.PriceHigh = math.Ceil(*l.Price * (1.5 + rng.Float64()))
	}
	// Generic goods also turn up in the results of a mark query, as on a
	// real marketplace's "related" results.
	l.Terms = append(l.Terms, pick(rng, defaultFamilyQueries()))
	return l
}

// defaultFamilyQueries are the mark family queries, for spreading hard
// negatives and generic goods over the results of every query.
func defaultFamilyQueries() []string {
	var qs []string
	for _, b := range brands {
		if len(qs) == 0 || qs[len(qs)-1] != b.query {
			qs = append(qs, b.query)
		}
	}
	return qs
}
