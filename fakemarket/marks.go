package fakemarket

// The marks below are the marks contract (the contract
// between the matchers' default marks and this fake marketplace). The fake
// marketplace deliberately does not read configs/marks: its ground truth is
// the contract, so a wrong default marks file shows up as lost precision or
// recall in the demo instead of being silently "agreed with".

// Mark kinds, as in the contract.
const (
	kindTrademark = "trademark"
	kindSpecial   = "special"
	kindGI        = "gi"
)

// obfuscation is one way a seller hides a mark name; form is the hidden
// name as it appears in the listing.
type obfuscation struct {
	class string // a Class* constant
	form  string
}

// product is a kind of goods sold under a mark: name is appended to the
// mark's name in a title; category is the breadcrumb path.
type product struct {
	name     string
	category string
}

// brand is one contract mark plus what the generator needs to write
// listings about it.
type brand struct {
	id       string
	kind     string
	cn       string   // primary Chinese name (always a contract name)
	latin    string   // primary Latin name, "" if none
	minPrice float64  // 0: no floor (special marks, GIs)
	seller   string   // authorized seller, "" if none
	regions  []string // GI regions
	query    string   // the default search query of this mark's family
	products []product
	// context is a context word every listing naming this mark carries
	// (marks whose names are ordinary words need one to count).
	context string
	obfs    []obfuscation
	// descriptive are accessory titles naming the mark only in a
	// descriptive pattern (适用于X, 兼容X, for X, X专用).
	descriptive []product
	// inside and outside are ship-from values within and outside a GI's regions.
	inside, outside []string
	// place is a GI's place alone (阳澄湖), which evocation listings write
	// with a quality claim (阳澄湖品质).
	place string
}

const (
	zwsp = "\u200b" // zero-width space
	zwj  = "\u200d" // zero-width joiner
	wj   = "\u2060" // word joiner
)

var brands = []brand{
	{
		id: "nike", kind: kindTrademark, cn: "耐克", latin: "NIKE", minPrice: 300, seller: "耐克官方旗舰店", query: "耐克",
		products: []product{
			{"Air Max 90 男子跑步鞋 气垫缓震", "运动户外 > 运动鞋"},
			{"Air Force 1 空军一号 低帮板鞋 白色", "运动户外 > 运动鞋"},
			{"Dunk Low 复古篮球鞋 熊猫配色", "运动户外 > 运动鞋"},
			{"Tech Fleece 男子连帽卫衣 加绒", "运动户外 > 运动服"},
		},
		obfs: []obfuscation{
			{ClassAlias, "耐吉"}, {ClassPinyin, "naike"}, {ClassPinyin, "Nai克"}, {ClassHomophone, "乃克"}, {ClassConfusable, "ɴɪᴋᴇ"}, {ClassConfusable, "🅽🅸🅺🅴"}, {ClassEmojiSeparator, "N💥I💥K💥E"}, {ClassDoubledLetter, "NIIKE"},
			{ClassObfuscatedSpaces, "耐-克"}, {ClassObfuscatedSpaces, "N I K E"}, {ClassFullwidth, "ＮＩＫＥ"},
			{ClassCyrillic, "NIK\u0415"}, {ClassDigitForLetter, "N1KE"}, {ClassZeroWidth, "耐" + zwsp + "克"},
		},
		descriptive: []product{
			{"适用于耐克 AJ1 鞋带 扁平 原色替换", "运动户外 > 鞋配件"},
			{"耐克专用 小白鞋清洁剂 擦鞋神器", "运动户外 > 鞋配件"},
		},
	},
	{
		id: "adidas", kind: kindTrademark, cn: "阿迪达斯", latin: "adidas", minPrice: 250, seller: "阿迪达斯官方旗舰店", query: "阿迪达斯",
		products: []product{
			{"三叶草 Superstar 贝壳头板鞋 经典黑白", "运动户外 > 运动鞋"},
			{"Ultraboost 22 男女缓震跑鞋", "运动户外 > 运动鞋"},
			{"Samba OG 德训鞋 复古", "运动户外 > 运动鞋"},
			{"三条纹 运动长裤 针织收口", "运动户外 > 运动服"},
		},
		obfs: []obfuscation{
			{ClassAlias, "阿迪"}, {ClassPinyin, "adidasi"}, {ClassHomophone, "阿迪达司"}, {ClassLookalikeHan, "阿迪达期"}, {ClassEmojiSeparator, "阿🌟迪🌟达🌟斯"}, {ClassDoubledLetter, "Adiddas"},
			{ClassObfuscatedSpaces, "A D I D A S"}, {ClassObfuscatedSpaces, "阿.迪.达.斯"}, {ClassTraditional, "阿迪達斯"},
			{ClassCyrillic, "\u0430didas"}, {ClassFullwidth, "ＡＤＩＤＡＳ"},
		},
		descriptive: []product{
			{"适用于阿迪达斯 椰子350 鞋垫 减震透气", "运动户外 > 鞋配件"},
		},
	},
	{
		id: "apple", kind: kindTrademark, cn: "苹果", latin: "Apple", minPrice: 1500, seller: "Apple官方旗舰店", query: "苹果", context: "手机",
		products: []product{
			{"iPhone 15 Pro 256G 全网通5G手机 原色钛金属", "手机数码 > 手机"},
			{"iPhone 14 128G 手机 午夜色 国行", "手机数码 > 手机"},
			{"MacBook Air M2 13英寸 笔记本电脑 手机互联", "电脑办公 > 笔记本"},
			{"iPad Pro 11英寸 平板 M4 可搭配手机使用", "电脑办公 > 平板"},
		},
		obfs: []obfuscation{
			{ClassHomophone, "平果"}, {ClassDoubledLetter, "Appple"},
			{ClassObfuscatedSpaces, "苹 果"}, {ClassFullwidth, "ＡＰＰＬＥ"}, {ClassTraditional, "蘋果"},
			{ClassDigitForLetter, "App1e"}, {ClassCyrillic, "\u0410pple"},
		},
		descriptive: []product{
			{"适用于苹果iPhone15 手机壳 全包防摔 透明", "手机数码 > 手机配件"},
			{"for Apple Watch 表带 运动硅胶 手表替换带", "手机数码 > 智能穿戴配件"},
		},
	},
	{
		id: "xiaomi", kind: kindTrademark, cn: "小米", minPrice: 500, seller: "小米官方旗舰店", query: "小米", context: "手机",
		products: []product{
			{"14 Pro 徕卡影像 5G手机 12+256G", "手机数码 > 手机"},
			{"Redmi K70 电竞版 手机 16+512G", "手机数码 > 手机"},
			{"电视 S Pro 65英寸 MiniLED 可投屏手机", "家用电器 > 电视"},
		},
		obfs: []obfuscation{
			{ClassAlias, "米家"}, {ClassHomophone, "小咪"},
			{ClassObfuscatedSpaces, "小-米"}, {ClassZeroWidth, "小" + zwsp + "米"},
		},
		descriptive: []product{
			{"兼容小米手环8 替换腕带 硅胶 多色可选", "手机数码 > 智能穿戴配件"},
			{"适用于小米14 手机钢化膜 高清防指纹", "手机数码 > 手机配件"},
		},
	},
	{
		id: "huawei", kind: kindTrademark, cn: "华为", latin: "HUAWEI", minPrice: 800, seller: "华为官方旗舰店", query: "华为",
		products: []product{
			{"Mate 60 Pro 12+512G 卫星通话 5G手机", "手机数码 > 手机"},
			{"Pura 70 Ultra 伸缩摄像头 手机", "手机数码 > 手机"},
			{"MateBook X Pro 14.2英寸 轻薄笔记本", "电脑办公 > 笔记本"},
			{"WATCH GT 4 智能手表 血氧监测", "手机数码 > 智能手表"},
		},
		obfs: []obfuscation{
			{ClassHomophone, "华维"}, {ClassEmojiSeparator, "华👍为"}, {ClassDoubledLetter, "Huawwei"},
			{ClassTraditional, "華為"}, {ClassObfuscatedSpaces, "H U A W E I"}, {ClassObfuscatedSpaces, "华 为"},
			{ClassFullwidth, "ＨＵＡＷＥＩ"}, {ClassDigitForLetter, "HUAWE1"},
		},
		descriptive: []product{
			{"适用于华为Mate60 手机壳 磨砂全包 防摔", "手机数码 > 手机配件"},
			{"兼容华为 66W 快充数据线 Type-C 1米", "手机数码 > 手机配件"},
		},
	},
	{
		id: "chanel", kind: kindTrademark, cn: "香奈儿", latin: "CHANEL", minPrice: 2000, query: "香奈儿",
		products: []product{
			{"CF 经典翻盖 菱格链条包 羊皮", "箱包皮具 > 女包"},
			{"5号香水 EDP 100ml 女士香水", "美妆护肤 > 香水"},
			{"双C 珍珠耳环 经典款", "珠宝配饰 > 耳饰"},
		},
		obfs: []obfuscation{
			{ClassAlias, "香奶奶"}, {ClassPinyin, "xiangnaier"}, {ClassHomophone, "香奈尔"}, {ClassLookalikeHan, "香柰儿"}, {ClassConfusable, "ᏟᎻᎪNEL"}, {ClassEmojiSeparator, "香💕奈💕儿"}, {ClassDoubledLetter, "Chaanel"},
			{ClassCyrillic, "Ch\u0430nel"}, {ClassTraditional, "香奈兒"}, {ClassObfuscatedSpaces, "香-奈-儿"},
			{ClassFullwidth, "ＣＨＡＮＥＬ"}, {ClassZeroWidth, "香" + zwj + "奈儿"},
		},
	},
	{
		id: "louis-vuitton", kind: kindTrademark, cn: "路易威登", latin: "Louis Vuitton", minPrice: 5000, query: "路易威登",
		products: []product{
			{"Neverfull 中号 老花 托特包", "箱包皮具 > 女包"},
			{"Speedy 25 手提枕头包", "箱包皮具 > 女包"},
			{"Keepall 50 旅行袋 老花帆布", "箱包皮具 > 旅行包"},
		},
		obfs: []obfuscation{
			{ClassAlias, "驴家"}, {ClassPinyin, "luyiweideng"}, {ClassHomophone, "路易威灯"}, {ClassEmojiSeparator, "L✨V"},
			{ClassDigitForLetter, "L0uis Vuitt0n"}, {ClassObfuscatedSpaces, "路-易-威-登"}, {ClassObfuscatedSpaces, "L·V"},
			{ClassFullwidth, "ＬＶ"},
		},
	},
	{
		id: "hermes", kind: kindTrademark, cn: "爱马仕", latin: "HERMES", minPrice: 10000, query: "爱马仕",
		products: []product{
			{"Birkin 30 铂金包 togo 皮 金扣", "箱包皮具 > 女包"},
			{"Kelly 28 凯莉包 手提", "箱包皮具 > 女包"},
			{"Picotin 18 菜篮子包", "箱包皮具 > 女包"},
		},
		obfs: []obfuscation{
			{ClassAlias, "H家"}, {ClassPinyin, "aimashi"}, {ClassHomophone, "爱马士"}, {ClassLookalikeHan, "受马仕"}, {ClassConfusable, "ᎻᎬᏒᎷᎬᏚ"}, {ClassDoubledLetter, "Herrmes"},
			{ClassTraditional, "愛馬仕"}, {ClassObfuscatedSpaces, "爱*马*仕"}, {ClassFullwidth, "ＨＥＲＭＥＳ"},
			{ClassCyrillic, "\u041dERMES"},
		},
	},
	{
		id: "gucci", kind: kindTrademark, cn: "古驰", latin: "GUCCI", minPrice: 3000, query: "古驰",
		products: []product{
			{"GG Marmont 绗缝 链条斜挎包", "箱包皮具 > 女包"},
			{"Jackie 1961 腋下包", "箱包皮具 > 女包"},
			{"双G 皮带 男士 针扣", "服饰配件 > 腰带"},
		},
		obfs: []obfuscation{
			{ClassAlias, "酷奇"}, {ClassPinyin, "gu驰"}, {ClassLookalikeHan, "古弛"}, {ClassEmojiSeparator, "G❤U❤C❤C❤I"}, {ClassDoubledLetter, "Guccci"},
			{ClassObfuscatedSpaces, "G U C C I"}, {ClassFullwidth, "ＧＵＣＣＩ"}, {ClassCyrillic, "GU\u0421\u0421I"},
			{ClassTraditional, "古馳"}, {ClassZeroWidth, "GU" + zwsp + "CCI"},
		},
	},
	{
		id: "prada", kind: kindTrademark, cn: "普拉达", latin: "PRADA", minPrice: 3000, query: "普拉达",
		products: []product{
			{"Re-Edition 2005 尼龙 腋下包", "箱包皮具 > 女包"},
			{"三角标 尼龙双肩包", "箱包皮具 > 双肩包"},
			{"Galleria 杀手包 中号 十字纹", "箱包皮具 > 女包"},
		},
		obfs: []obfuscation{
			{ClassAlias, "P家"}, {ClassPinyin, "pu la da"}, {ClassHomophone, "普拉大"}, {ClassConfusable, "𝐏𝐑𝐀𝐃𝐀"}, {ClassDoubledLetter, "Pradda"},
			{ClassFullwidth, "ＰＲＡＤＡ"}, {ClassObfuscatedSpaces, "P.R.A.D.A"}, {ClassCyrillic, "\u0420RADA"},
			{ClassTraditional, "普拉達"},
		},
	},
	{
		id: "dior", kind: kindTrademark, cn: "迪奥", latin: "DIOR", minPrice: 1000, query: "迪奥",
		products: []product{
			{"马鞍包 Saddle 老花 刺绣", "箱包皮具 > 女包"},
			{"B23 高帮 帆布鞋 Oblique", "鞋靴 > 女鞋"},
			{"戴妃包 Lady 中号 藤格纹", "箱包皮具 > 女包"},
		},
		obfs: []obfuscation{
			{ClassAlias, "D家"}, {ClassHomophone, "迪澳"}, {ClassEmojiSeparator, "迪🌸奥"}, {ClassDoubledLetter, "Diior"},
			{ClassDigitForLetter, "D1OR"}, {ClassCyrillic, "Di\u043er"}, {ClassObfuscatedSpaces, "迪-奥"},
			{ClassTraditional, "迪奧"}, {ClassFullwidth, "ＤＩＯＲ"},
		},
	},
	{
		id: "rolex", kind: kindTrademark, cn: "劳力士", latin: "ROLEX", minPrice: 30000, query: "劳力士",
		products: []product{
			{"潜航者型 116610LN 黑水鬼 自动机械 腕表", "钟表 > 机械表"},
			{"日志型 126334 蓝盘 男表", "钟表 > 机械表"},
			{"宇宙计型 迪通拿 116500 熊猫盘", "钟表 > 机械表"},
		},
		obfs: []obfuscation{
			{ClassAlias, "迪通拿"}, {ClassHomophone, "劳力仕"}, {ClassLookalikeHan, "劳力土"}, {ClassConfusable, "ℝ𝕆𝕃𝔼𝕏"}, {ClassDoubledLetter, "Rollex"},
			{ClassDigitForLetter, "R0LEX"}, {ClassTraditional, "勞力士"}, {ClassObfuscatedSpaces, "劳 力 士"},
			{ClassCyrillic, "R\u041eLEX"}, {ClassFullwidth, "ＲＯＬＥＸ"}, {ClassZeroWidth, "劳" + wj + "力士"},
		},
	},
	{
		id: "moutai", kind: kindTrademark, cn: "茅台", minPrice: 1499, seller: "贵州茅台官方旗舰店", query: "茅台",
		products: []product{
			{"53度 500ml 酱香型白酒 单瓶", "酒类 > 白酒"},
			{"生肖纪念酒 53度 500ml 礼盒装", "酒类 > 白酒"},
		},
		obfs: []obfuscation{
			{ClassHomophone, "茅抬"}, {ClassEmojiSeparator, "茅🍶台"},
			{ClassTraditional, "飛天茅臺"}, {ClassObfuscatedSpaces, "茅-台"}, {ClassZeroWidth, "茅" + zwsp + "台"},
		},
	},
	{
		id: "hangzhou-2022-asian-games", kind: kindSpecial, cn: "杭州亚运会", latin: "Hangzhou 2022", seller: "杭州亚运会官方特许商品旗舰店", query: "亚运",
		products: []product{
			{"纪念徽章 金属胸针 收藏款", "文创周边 > 徽章"},
			{"纪念T恤 纯棉 短袖 亚运周边", "文创周边 > 服饰"},
			{"纪念邮票 珍藏册", "文创周边 > 邮票"},
		},
		obfs: []obfuscation{{ClassTraditional, "杭州亞運會"}, {ClassObfuscatedSpaces, "杭-州-亚-运-会"}},
	},
	{
		id: "hangzhou-2022-mascots", kind: kindSpecial, cn: "琮琮 莲莲 宸宸", seller: "杭州亚运会官方特许商品旗舰店", query: "亚运", context: "亚运吉祥物",
		products: []product{
			{"毛绒公仔 一套三只", "文创周边 > 玩偶"},
			{"钥匙扣 挂件 亚运周边", "文创周边 > 挂件"},
			{"手办 盲盒 桌面摆件", "文创周边 > 手办"},
		},
		obfs: []obfuscation{{ClassObfuscatedSpaces, "琮-琮 莲-莲 宸-宸"}, {ClassTraditional, "琮琮 蓮蓮 宸宸"}},
	},
	{
		id: "hangzhou-2022-emblem", kind: kindSpecial, cn: "潮涌", seller: "杭州亚运会官方特许商品旗舰店", query: "亚运", context: "亚运会徽",
		products: []product{
			{"刺绣 胸章 纪念品", "文创周边 > 徽章"},
			{"贴纸 冰箱贴 套装", "文创周边 > 贴纸"},
		},
		obfs: []obfuscation{{ClassObfuscatedSpaces, "潮.涌"}},
	},
	{
		id: "china-manned-space", kind: kindSpecial, cn: "中国载人航天", seller: "中国航天文创旗舰店", query: "航天",
		products: []product{
			{"航天员 文创 冰箱贴", "文创周边 > 贴纸"},
			{"纪念章 航天周边 收藏", "文创周边 > 徽章"},
			{"空间站 拼装模型 儿童礼物", "文创周边 > 模型"},
		},
		obfs: []obfuscation{{ClassTraditional, "中國載人航天"}, {ClassObfuscatedSpaces, "神-舟-十-六-号"}},
	},
	{
		id: "gi-yangchenghu-crab", kind: kindGI, cn: "阳澄湖大闸蟹", query: "大闸蟹", regions: []string{"苏州", "相城", "昆山", "工业园区"},
		place: "阳澄湖",
		products: []product{
			{"鲜活 公4两母3两 8只装 中秋礼盒", "生鲜水产 > 螃蟹"},
			{"全母 3.5两 10只 现货速发", "生鲜水产 > 螃蟹"},
		},
		obfs:    []obfuscation{{ClassTraditional, "陽澄湖大閘蟹"}, {ClassObfuscatedSpaces, "阳澄湖-大闸蟹"}},
		inside:  []string{"江苏 苏州", "江苏 昆山"},
		outside: []string{"江苏 宿迁", "安徽 巢湖", "江苏 泰州", "湖北 洪湖"},
	},
	{
		id: "gi-xihu-longjing", kind: kindGI, cn: "西湖龙井", query: "龙井", regions: []string{"杭州"},
		place: "西湖",
		products: []product{
			{"明前特级 2024新茶 绿茶 250g 罐装", "茶叶 > 绿茶"},
			{"雨前一级 散装 500g 口粮茶", "茶叶 > 绿茶"},
		},
		obfs:    []obfuscation{{ClassObfuscatedSpaces, "西 湖 龙 井"}},
		inside:  []string{"浙江 杭州"},
		outside: []string{"浙江 金华", "贵州 遵义", "四川 雅安", "福建 福州"},
	},
	{
		id: "gi-wuchang-rice", kind: kindGI, cn: "五常大米", query: "大米", regions: []string{"五常", "哈尔滨"},
		place: "五常",
		products: []product{
			{"稻花香2号 10斤 当季新米", "粮油米面 > 大米"},
			{"长粒香 真空包装 5kg", "粮油米面 > 大米"},
		},
		inside:  []string{"黑龙江 哈尔滨", "黑龙江 五常"},
		outside: []string{"吉林 长春", "辽宁 盘锦", "黑龙江 绥化", "江苏 宿迁"},
	},
	{
		id: "gi-xinhui-chenpi", kind: kindGI, cn: "新会陈皮", query: "陈皮", regions: []string{"江门", "新会"},
		place: "新会",
		products: []product{
			{"十年老陈皮 干 500g 泡水", "茶叶 > 花草茶"},
			{"柑皮 三年陈 礼盒装 250g", "茶叶 > 花草茶"},
		},
		obfs:    []obfuscation{{ClassTraditional, "新會陳皮"}},
		inside:  []string{"广东 江门"},
		outside: []string{"广西 梧州", "广东 广州", "四川 成都"},
	},
}

// brandByID returns the contract mark with this id.
func brandByID(id string) *brand {
	for i := range brands {
		if brands[i].id == id {
			return &brands[i]
		}
	}
	return nil
}

// Contract names and rules, for consistency checks (tests) and for
// documentation. names are the contract's "names (at least)".
var contractNames = map[string][]string{
	"nike":                      {"耐克", "NIKE"},
	"adidas":                    {"阿迪达斯", "adidas"},
	"apple":                     {"苹果", "Apple"},
	"xiaomi":                    {"小米"},
	"huawei":                    {"华为", "HUAWEI"},
	"chanel":                    {"香奈儿", "CHANEL"},
	"louis-vuitton":             {"路易威登", "Louis Vuitton", "LV"},
	"hermes":                    {"爱马仕", "HERMES"},
	"gucci":                     {"古驰", "GUCCI"},
	"prada":                     {"普拉达", "PRADA"},
	"dior":                      {"迪奥", "DIOR"},
	"rolex":                     {"劳力士", "ROLEX"},
	"moutai":                    {"茅台", "飞天茅台"},
	"hangzhou-2022-asian-games": {"杭州亚运会", "杭州2022", "第19届亚运会", "第十九届亚运会", "Hangzhou 2022"},
	"hangzhou-2022-mascots":     {"琮琮", "莲莲", "宸宸", "江南忆"},
	"hangzhou-2022-emblem":      {"潮涌"},
	"china-manned-space":        {"中国载人航天", "神舟十六号"},
	"gi-yangchenghu-crab":       {"阳澄湖大闸蟹"},
	"gi-xihu-longjing":          {"西湖龙井"},
	"gi-wuchang-rice":           {"五常大米"},
	"gi-xinhui-chenpi":          {"新会陈皮"},
}

var contractContext = map[string][]string{
	"apple":                 {"手机", "iPhone", "耳机", "AirPods", "iPad", "MacBook", "手表", "充电器"},
	"xiaomi":                {"手机", "手环", "充电宝", "耳机", "电视", "路由器"},
	"hangzhou-2022-mascots": {"亚运", "吉祥物", "杭州2022"},
	"hangzhou-2022-emblem":  {"亚运", "会徽", "杭州2022"},
}

var contractExclude = map[string][]string{
	"moutai": {"茅台镇"},
	// Issue 12's hard negatives: a name inside a longer word or across
	// two words is not the name.
	"nike":   {"忍耐克制", "耐克森"},
	"dior":   {"克劳迪奥"},
	"gucci":  {"复古驰骋"},
	"huawei": {"中华为"},
}

// contractEvasions are the ways the generator names a mark without its
// name (issue 12: aliases, pinyin, homophones, look-alike characters and
// letters, emoji between the letters, doubled letters, GI evocation). The
// matcher is expected to read each as its mark; the reference matcher
// (refmatch_test.go) knows exactly these.
var contractEvasions = func() map[string][]string {
	m := map[string][]string{}
	for _, b := range brands {
		for _, o := range b.obfs {
			switch o.class {
			case ClassAlias, ClassPinyin, ClassHomophone, ClassLookalikeHan, ClassConfusable, ClassEmojiSeparator, ClassDoubledLetter:
				m[b.id] = append(m[b.id], o.form)
			}
		}
		if b.place != "" {
			for _, c := range giClaims {
				m[b.id] = append(m[b.id], b.place+c)
			}
		}
	}
	return m
}()

// giClaims are the quality claims evocation listings put after a GI's place.
var giClaims = []string{"品质", "风味", "工艺"}

// claimWords are the claims claim listings put right after a mark's name.
var claimWords = []string{"同款", "平替", "对版"}

// Slang words the generator writes into counterfeit listings: the
// contract's examples, nothing weaker.
var slangWords = []string{"高仿", "A货", "1:1", "原单", "莆田", "纯原"}
