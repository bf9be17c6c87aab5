//go:build tools

// Package deps pins modules that packages under construction will import, so
// that parallel work does not race on go.mod. Remove a line once a real
// package imports that module.
package deps

import (
	_ "github.com/6tail/lunar-go/HolidayUtil"
	_ "github.com/PuerkitoBio/goquery"
	_ "github.com/alecthomas/kong"
	_ "github.com/chromedp/chromedp"
	_ "github.com/goccy/go-yaml"
	_ "github.com/gocolly/colly/v2"
	_ "github.com/longbridgeapp/opencc"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/xuri/excelize/v2"
	_ "golang.org/x/crypto/bcrypt"
	_ "golang.org/x/text/encoding/simplifiedchinese"
	_ "golang.org/x/text/unicode/norm"
	_ "golang.org/x/text/width"
	_ "modernc.org/sqlite"
)
