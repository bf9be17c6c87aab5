// Package calendar is markwatch's knowledge of the Chinese holiday year: the
// official days off and make-up workdays (调休) that the State Council
// announces each year, and the dates of the festivals behind them.
//
// The official arrangements come from github.com/6tail/lunar-go (MIT, pure
// Go), which carries them from 2002 to 2027 and is refreshed when a new
// notice is published; writing our own table would only add one more place to
// forget the yearly update. lunar-go silently falls back to plain weekends for
// a year it has no data for, so Lunar checks HolidayUtil.GetHolidaysByYear
// first and reports such a year with Official false: a holiday of that year
// is then only an estimate (the festival day itself), and every caller shows
// the flag instead of guessing.
//
// Festival days are computed for any year: Spring Festival (lunar 1/1),
// Dragon Boat (lunar 5/5) and Mid-Autumn (lunar 8/15) from lunar-go's lunar
// calendar, Qingming from its solar-term table, and the fixed New Year, May
// Day and National Day.
//
// A Holiday is the block of consecutive official days off around a festival.
// Adjacent blocks are merged: in 2023 Mid-Autumn (09-29) ran straight into
// National Day (09-30 – 10-06), and in 2025 the notice itself named the
// break 国庆中秋 (10-01 – 10-08, Mid-Autumn on 10-06). In such a year
// mid_autumn and national_day both resolve to the joint break, and each
// names the other in Joined, so that a sweep "around mid_autumn" covers the
// days people are actually off and buying gifts.
//
// Dates are civil dates (Date), with no time zone: the schedule package
// places them in Asia/Shanghai.
package calendar
