// Package notify tells the team what a sweep found.
//
// Rules (notify.yaml) turn what serve has just stored into events: a new
// suspect above a score, a confirmed repeat offender's listing reappearing,
// the end of a sweep run with its summary. Each event is written to the
// store's outbox once per channel (a repeat of the same event is dropped
// there), so that nothing is lost across restarts. A Deliverer, a loop of
// its own in serve, sends what is due: a generic JSON webhook, the group
// robots of DingTalk (signed with HMAC-SHA256 over timestamp and secret),
// WeCom and Feishu (signed), or SMTP mail. A failed delivery is retried
// with exponential backoff until MaxAttempts; every attempt is counted in
// markwatch_notifications_total{result}. Nothing here runs in a crawl
// worker, and enqueueing is one small SQLite transaction, so a receiver
// that hangs delays only its own deliveries, never ingest.
package notify
