package fakemarket

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// gbkClasses are the class names of the GBK site in one layout.
type gbkClasses struct {
	table, row, idInput, name, title, pic, price, shop, area, pagebar, next, empty string
	info, iTitle, iPrice, iShop, iArea, iCat, iDesc, iImg, iID                     string
}

var gbkLayouts = map[int]gbkClasses{
	1: {table: "goodslist", row: "item", idInput: "gid", name: "name", title: "title", pic: "pic", price: "price",
		shop: "shop", area: "area", pagebar: "pagebar", next: "next", empty: "noresult",
		info: "goodsinfo", iTitle: "g-title", iPrice: "g-price", iShop: "g-shop", iArea: "g-area", iCat: "g-cat",
		iDesc: "g-desc", iImg: "g-img", iID: "goods_id"},
	2: {table: "prolist", row: "prod", idInput: "pid", name: "p-title", title: "ptitle", pic: "p-pic", price: "p-money",
		shop: "p-store", area: "p-from", pagebar: "pages", next: "nextpage", empty: "empty-tip",
		info: "proinfo", iTitle: "pi-title", iPrice: "pi-price", iShop: "pi-store", iArea: "pi-from", iCat: "pi-cat",
		iDesc: "pi-desc", iImg: "pi-img", iID: "pid"},
}

// toGBK encodes a UTF-8 page as GBK; characters GBK lacks become numeric
// character references.
func toGBK(utf8Page []byte) []byte {
	enc := encoding.HTMLEscapeUnsupported(simplifiedchinese.GBK.NewEncoder())
	out, err := enc.Bytes(utf8Page)
	if err != nil {
		// Cannot happen with HTMLEscapeUnsupported on valid UTF-8; keep the
		// page readable rather than empty if it ever does.
		return utf8Page
	}
	return out
}

// gbkQuery reads a query parameter that may be percent-encoded GBK (the
// site's own links) or UTF-8 (most crawlers).
func gbkQuery(raw string) string {
	if utf8.ValidString(raw) {
		return raw
	}
	s, err := simplifiedchinese.GBK.NewDecoder().String(raw)
	if err != nil {
		return raw
	}
	return s
}

// gbkEscape percent-encodes a query in GBK, as the site's links do.
func gbkEscape(q string) string {
	b, err := simplifiedchinese.GBK.NewEncoder().String(q)
	if err != nil {
		return url.QueryEscape(q)
	}
	return url.QueryEscape(b)
}

func (s *Server) gbk(r *http.Request, layout int) *response {
	c := gbkLayouts[layout]
	p := r.URL.Path
	q := r.URL.Query()
	switch {
	case p == "/gbk" || p == "/gbk/" || p == "/gbk/index.php":
		return gbkPage(s.gbkHome(), true)
	case p == "/gbk/search.php":
		return gbkPage(s.gbkSearch(gbkQuery(q.Get("kw")), pageNumber(q.Get("page")), c), true)
	case p == "/gbk/goods.php":
		l := s.siteListing(SiteGBK, q.Get("id"))
		if l == nil {
			return notFound(SiteGBK)
		}
		return gbkPage(s.gbkItem(l, c), false)
	case strings.HasPrefix(p, "/gbk/pic/"):
		return s.image(p)
	case strings.HasPrefix(p, "/gbk/private/") || p == "/gbk/member.php":
		return gbkPage(gbkSimple("会员中心", "<div class=\"member\">我的订单 | 收货地址 | 修改密码</div>"), true)
	}
	return notFound(SiteGBK)
}

// gbkPage encodes a page; search pages declare the charset in the header
// too, item pages only in <meta>.
func gbkPage(utf8Page []byte, headerCharset bool) *response {
	ct := "text/html"
	if headerCharset {
		ct = "text/html; charset=GBK"
	}
	return &response{status: http.StatusOK, contentType: ct, body: toGBK(utf8Page)}
}

func gbkHead(b *bytes.Buffer, title string) {
	b.WriteString("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<html>\n<head>\n")
	b.WriteString("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gbk\">\n")
	fmt.Fprintf(b, "<title>%s</title>\n<style type=\"text/css\">%s</style>\n<script type=\"text/javascript\">%s</script>\n</head>\n", esc(title), gbkCSS, gbkJS)
	b.WriteString("<body bgcolor=\"#FFFFFF\" topmargin=\"0\">\n")
	b.WriteString(gbkTop)
}

func gbkFoot(b *bytes.Buffer) {
	b.WriteString(gbkBottom)
	b.WriteString("</body>\n</html>\n")
}

func gbkSimple(title, content string) []byte {
	var b bytes.Buffer
	gbkHead(&b, title)
	b.WriteString(content)
	gbkFoot(&b)
	return b.Bytes()
}

func (s *Server) gbkHome() []byte {
	var b bytes.Buffer
	gbkHead(&b, "老街商城 - 首页")
	b.WriteString("<table width=\"960\" align=\"center\"><tr><td class=\"hot\">热门搜索：")
	for _, q := range s.cat.queries {
		fmt.Fprintf(&b, "<a href=\"search.php?kw=%s\">%s</a> ", gbkEscape(q), esc(q))
	}
	b.WriteString("</td></tr></table>\n")
	gbkFoot(&b)
	return b.Bytes()
}

func (s *Server) gbkSearch(query string, page int, c gbkClasses) []byte {
	listings, pages := s.pageOf(SiteGBK, query, page)
	var b bytes.Buffer
	b.Grow(64 << 10)
	gbkHead(&b, query+" - 商品搜索 - 老街商城")
	fmt.Fprintf(&b, "<table width=\"960\" align=\"center\" class=\"loc\"><tr><td>当前位置：<a href=\"index.php\">首页</a> &gt;&gt; 搜索“<font color=\"#FF0000\">%s</font>”</td></tr></table>\n", esc(query))
	b.WriteString(gbkSortBar)
	fmt.Fprintf(&b, "<table id=\"%s\" class=\"%s\" width=\"960\" align=\"center\" border=\"0\" cellpadding=\"4\" cellspacing=\"1\" bgcolor=\"#DDDDDD\">\n", c.table, c.table)
	b.WriteString("<tr class=\"thead\" bgcolor=\"#F5F5F5\"><th width=\"30\">对比</th><th width=\"90\">图片</th><th>商品名称</th><th width=\"100\">价格</th><th width=\"140\">店铺</th><th width=\"90\">所在地</th><th width=\"70\">销量</th></tr>\n")
	if len(listings) == 0 {
		fmt.Fprintf(&b, "<tr><td class=\"%s\" colspan=\"7\" align=\"center\" bgcolor=\"#FFFFFF\">对不起，没有找到与“%s”相关的商品，请更换关键词再试。</td></tr>\n", c.empty, esc(query))
	}
	for i, l := range listings {
		bg := "#FFFFFF"
		if i%2 == 1 {
			bg = "#FAFAFA"
		}
		fmt.Fprintf(&b, "<tr class=\"%s\" bgcolor=\"%s\" onmouseover=\"this.bgColor='#FFF8E1'\" onmouseout=\"this.bgColor='%s'\">\n", c.row, bg, bg)
		fmt.Fprintf(&b, "<td class=\"chk\" align=\"center\"><input type=\"checkbox\" name=\"%s\" value=\"%s\"></td>\n", c.idInput, l.ID)
		href := "goods.php?id=" + l.ID
		fmt.Fprintf(&b, "<td class=\"%s\" align=\"center\"><a href=\"%s\" target=\"_blank\"><img src=\"%s\" width=\"80\" height=\"80\" border=\"0\"></a></td>\n", c.pic, href, l.Image)
		fmt.Fprintf(&b, "<td class=\"%s\"><a class=\"%s\" href=\"%s\" title=\"%s\" target=\"_blank\">%s</a><br><span class=\"brief\"><font color=\"#999999\">%s</font></span></td>\n",
			c.name, c.title, href, esc(l.Title), esc(l.Title), esc(firstRunes(l.Description, 24)))
		fmt.Fprintf(&b, "<td class=\"%s\" align=\"center\"><font color=\"#FF5000\"><b>%s</b></font></td>\n", c.price, esc(cardPrice(l, "￥")))
		fmt.Fprintf(&b, "<td class=\"%s\"><a href=\"shop.php?name=%s\">%s</a></td>\n", c.shop, gbkEscape(l.Seller), esc(l.Seller))
		fmt.Fprintf(&b, "<td class=\"%s\" align=\"center\">%s</td>\n", c.area, esc(l.ShipFrom))
		fmt.Fprintf(&b, "<td class=\"sold\" align=\"center\">%d笔</td>\n</tr>\n", l.Sales)
	}
	b.WriteString("</table>\n")
	if len(listings) > 0 {
		link := func(p int) string { return "search.php?kw=" + gbkEscape(query) + "&amp;page=" + strconv.Itoa(p) }
		fmt.Fprintf(&b, "<div class=\"%s\" align=\"center\">共%d页 ", c.pagebar, pages)
		if page > 1 {
			fmt.Fprintf(&b, "<a href=\"%s\">首页</a> <a class=\"prev\" href=\"%s\">上一页</a> ", link(1), link(page-1))
		}
		fmt.Fprintf(&b, "第<b>%d</b>页 ", page)
		if page < pages {
			fmt.Fprintf(&b, "<a class=\"%s\" href=\"%s\">下一页</a> <a href=\"%s\">尾页</a>", c.next, link(page+1), link(pages))
		}
		b.WriteString("</div>\n")
	}
	fmt.Fprintf(&b, "<script type=\"text/javascript\">var kw=%s;var pg=%d;stat('search',kw,pg);</script>\n", scriptString(query), page)
	gbkFoot(&b)
	return b.Bytes()
}

func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
}

func (s *Server) gbkItem(l *Listing, c gbkClasses) []byte {
	var b bytes.Buffer
	gbkHead(&b, l.Title+" - 老街商城")
	fmt.Fprintf(&b, "<table width=\"960\" align=\"center\" class=\"loc\"><tr><td>当前位置：<a href=\"index.php\">首页</a> &gt;&gt; %s</td></tr></table>\n", esc(strings.ReplaceAll(l.Category, " > ", " >> ")))
	fmt.Fprintf(&b, "<form name=\"buy\" action=\"member.php?act=buy\" method=\"post\"><input type=\"hidden\" id=\"%s\" name=\"id\" value=\"%s\">\n", c.iID, l.ID)
	fmt.Fprintf(&b, "<table class=\"%s\" width=\"960\" align=\"center\" border=\"0\" cellpadding=\"6\">\n<tr><td rowspan=\"7\" width=\"320\" valign=\"top\"><img class=\"%s\" src=\"%s\" width=\"300\" height=\"300\" border=\"1\"></td>\n", c.info, c.iImg, l.Image)
	fmt.Fprintf(&b, "<th width=\"80\" align=\"right\">商品名称：</th><td class=\"%s\"><b>%s</b></td></tr>\n", c.iTitle, esc(l.Title))
	fmt.Fprintf(&b, "<tr><th align=\"right\">商城价：</th><td class=\"%s\"><font color=\"#FF0000\" size=\"4\">￥%s</font></td></tr>\n", c.iPrice, comma(*l.Price))
	fmt.Fprintf(&b, "<tr><th align=\"right\">店铺：</th><td class=\"%s\"><a href=\"shop.php?name=%s\">%s</a></td></tr>\n", c.iShop, gbkEscape(l.Seller), esc(l.Seller))
	fmt.Fprintf(&b, "<tr><th align=\"right\">发货地：</th><td class=\"%s\">%s</td></tr>\n", c.iArea, esc(l.ShipFrom))
	fmt.Fprintf(&b, "<tr><th align=\"right\">分类：</th><td class=\"%s\">%s</td></tr>\n", c.iCat, esc(l.Category))
	fmt.Fprintf(&b, "<tr><th align=\"right\">销量：</th><td>%d笔</td></tr>\n", l.Sales)
	b.WriteString("<tr><th></th><td><input type=\"submit\" value=\"立即购买\"> <input type=\"button\" value=\"加入收藏\" onclick=\"fav()\"></td></tr>\n</table>\n</form>\n")
	fmt.Fprintf(&b, "<table width=\"960\" align=\"center\"><tr><td class=\"tab\"><b>商品描述</b></td></tr><tr><td><div class=\"%s\">%s</div></td></tr></table>\n", c.iDesc, esc(l.Description))
	gbkFoot(&b)
	return b.Bytes()
}

// Noise of every GBK page, in the style of 2000s shop software.
var (
	gbkCSS = strings.Repeat(`
body,td,th{font-size:12px;font-family:"宋体",SimSun,Arial}a:link,a:visited{color:#0033CC;text-decoration:none}a:hover{color:#FF6600;text-decoration:underline}
.top{background:#FF6600;color:#FFFFFF;height:28px}.menu td{background:#FFEFE0;border-bottom:1px solid #FF9933;padding:4px}
.goodslist th{background:#F5F5F5;font-weight:bold}.brief{color:#999999}.pagebar{margin:10px;font-size:14px}.bottom{color:#666666;line-height:22px}
`, 5)
	gbkJS = `function stat(a,b,c){var i=new Image();i.src='count.php?a='+a+'&t='+(new Date()).getTime();}
function fav(){try{window.external.addFavorite(location.href,document.title)}catch(e){alert('请按 Ctrl+D 收藏本页')}}
function MM_swapImgRestore(){var i,x,a=document.MM_sr;for(i=0;a&&i<a.length&&(x=a[i])&&x.oSrc;i++)x.src=x.oSrc;}
function MM_preloadImages(){var d=document;if(d.images){if(!d.MM_p)d.MM_p=new Array();var i,j=d.MM_p.length,a=MM_preloadImages.arguments;for(i=0;i<a.length;i++)if(a[i].indexOf("#")!=0){d.MM_p[j]=new Image;d.MM_p[j++].src=a[i];}}}`
	gbkTop = `<table width="960" align="center" class="top" cellpadding="0" cellspacing="0"><tr><td>&nbsp;欢迎光临老街商城！[<a href="member.php?act=login"><font color="#FFFFFF">登录</font></a>] [<a href="member.php?act=reg"><font color="#FFFFFF">免费注册</font></a>]</td><td align="right"><a href="member.php?act=cart"><font color="#FFFFFF">购物车</font></a> | <a href="private/help.php"><font color="#FFFFFF">帮助</font></a>&nbsp;</td></tr></table>
<table width="960" align="center" cellpadding="6"><tr><td width="200"><a href="index.php"><img src="pic/logo.gif" width="180" height="60" border="0" alt="老街商城"></a></td>
<td><form name="s" action="search.php" method="get">商品搜索：<input type="text" name="kw" size="40"> <input type="submit" value="搜 索"></form></td></tr></table>
<table width="960" align="center" class="menu" cellspacing="0"><tr><td align="center"><a href="index.php">首页</a></td><td align="center"><a href="search.php?kw=%C5%AE%D7%B0">女装</a></td><td align="center"><a href="search.php?kw=%C4%D0%D7%B0">男装</a></td><td align="center"><a href="search.php?kw=%D0%AC%D1%A5">鞋靴</a></td><td align="center"><a href="search.php?kw=%CA%FD%C2%EB">数码</a></td><td align="center"><a href="search.php?kw=%B2%E8%D2%B6">茶叶</a></td><td align="center"><a href="search.php?kw=%BE%C6%CB%AE">酒水</a></td><td align="center"><a href="search.php?kw=%C9%FA%CF%CA">生鲜</a></td></tr></table>
`
	gbkSortBar = `<table width="960" align="center" class="sort"><tr><td>排序：<a href="#">默认</a> | <a href="#">价格↑</a> | <a href="#">价格↓</a> | <a href="#">销量</a> | <a href="#">最新</a></td><td align="right">显示：<a href="#">列表</a> | <a href="#">大图</a></td></tr></table>
`
	gbkBottom = `<table width="960" align="center" class="bottom"><tr><td align="center"><hr size="1" color="#FF9933">
<a href="private/help.php">关于我们</a> | <a href="private/help.php">联系方式</a> | <a href="private/help.php">付款方式</a> | <a href="private/help.php">配送说明</a> | <a href="private/help.php">售后服务</a> | <a href="private/help.php">友情链接</a><br>
版权所有 &copy; 2006-2026 老街商城 &nbsp; 客服热线：400-000-0000 &nbsp; 本站为 markwatch 测试用虚构市场<br>
<script type="text/javascript">document.write('<img src="count.php?a=pv&amp;r='+Math.random()+'" width="1" height="1">');</script></td></tr></table>
`
)
