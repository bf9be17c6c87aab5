package queue

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/evidence"
	"github.com/redis/go-redis/v9"
)

// Findings travel from workers to the store through one Redis stream
// (mw:{findings}:stream). Workers publish a FindingsBatch per page
// (FindingsPublisher, a pipeline.Sink); the process that owns the store
// consumes them with a consumer group (ConsumeFindings) and acks an entry
// only after its handler stored it. A batch may be delivered more than once
// (a page fetched twice after a lease expiry, a consumer that died before
// its ack), so the store writes idempotently on (run, site, listing id).
//
// Acked entries are deleted from the stream, so its length is the backlog.
// That assumes one consumer group (the store's); a second group would lose
// entries the first one deleted.

// PageMeta describes the fetched page a batch was read from, with the raw
// body gzip'd when it is kept as evidence.
type PageMeta struct {
	URL       string            `json:"url"`
	FinalURL  string            `json:"final_url,omitempty"`
	Status    int               `json:"status"`
	Header    map[string]string `json:"header,omitempty"`
	FetchedAt time.Time         `json:"fetched_at"`
	Truncated bool              `json:"truncated,omitempty"`
	Adapter   string            `json:"adapter,omitempty"` // the site adapter that read the page, "name@version"
	// Size and SHA256 (hex) are of the raw body, before gzip.
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
	// BodyGzip is the raw body, gzip'd; empty when the body was not kept.
	BodyGzip []byte `json:"body_gzip,omitempty"`
	// Screenshot is the PNG of a page rendered in a browser, kept with the
	// body (fetch: browser adapters).
	Screenshot []byte `json:"screenshot,omitempty"`
}

// Body returns the raw page body, or nil if it was not kept.
func (p PageMeta) Body() ([]byte, error) {
	if len(p.BodyGzip) == 0 {
		return nil, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(p.BodyGzip))
	if err != nil {
		return nil, fmt.Errorf("queue: page body of %s: %w", p.URL, err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("queue: page body of %s: %w", p.URL, err)
	}
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != p.SHA256 {
		return nil, fmt.Errorf("queue: page body of %s: SHA-256 mismatch", p.URL)
	}
	return body, nil
}

// FindingsBatch is what a worker publishes for one processed page.
type FindingsBatch struct {
	// ID is the stream entry id (set by the consumer, not serialised).
	ID        string              `json:"-"`
	Run       string              `json:"run"`
	Sweep     string              `json:"sweep,omitempty"`
	Site      string              `json:"site"`
	Task      string              `json:"task"`
	Published time.Time           `json:"published"`
	Page      PageMeta            `json:"page"`
	Findings  []markwatch.Finding `json:"findings"`
	// Photos are the findings' photos, with the body (publisher's Photos).
	Photos []PhotoBytes `json:"photos,omitempty"`
}

// PageOf rebuilds the page the batch's findings were read from, with its
// body when the worker kept it as evidence (its SHA-256 verified), for the
// store's Put.
func (b FindingsBatch) PageOf() (*markwatch.Page, error) {
	body, err := b.Page.Body()
	if err != nil {
		return nil, err
	}
	return &markwatch.Page{
		Task:       markwatch.Task{ID: b.Task, Run: b.Run, Sweep: b.Sweep, Site: b.Site},
		URL:        b.Page.URL,
		FinalURL:   b.Page.FinalURL,
		Status:     b.Page.Status,
		Header:     b.Page.Header,
		Body:       body,
		FetchedAt:  b.Page.FetchedAt,
		Truncated:  b.Page.Truncated,
		Adapter:    b.Page.Adapter,
		Screenshot: b.Page.Screenshot,
	}, nil
}

// PageWithoutBody rebuilds the page the batch's findings were read from without
// its body (nor checking it): with Page.SHA256 and Page.BodyGzip it is
// what evidence.Store.PutGzip takes, so that the store need not
// decompress and compress again a page it may already hold.
func (b FindingsBatch) PageWithoutBody() *markwatch.Page {
	return &markwatch.Page{
		Task:       markwatch.Task{ID: b.Task, Run: b.Run, Sweep: b.Sweep, Site: b.Site},
		URL:        b.Page.URL,
		FinalURL:   b.Page.FinalURL,
		Status:     b.Page.Status,
		Header:     b.Page.Header,
		FetchedAt:  b.Page.FetchedAt,
		Truncated:  b.Page.Truncated,
		Adapter:    b.Page.Adapter,
		Screenshot: b.Page.Screenshot,
	}
}

// FindingsPublisher is the worker's pipeline.Sink: it publishes each page's
// findings to the findings stream.
type FindingsPublisher struct {
	Client redis.UniversalClient
	// KeepBody says whether a batch carries the page body. Default: when
	// any finding is suspect (that is what reviewers need evidence for).
	KeepBody func(findings []markwatch.Finding) bool
	// Photos, when set, is where the worker keeps listing photos: a batch
	// that keeps its body also carries the photos of its findings this
	// publisher has not delivered before, at most MaxPhotoBytes (default
	// DefaultMaxPhotoBytes) in all.
	Photos        PhotoSource
	MaxPhotoBytes int
	sent          sentPhotos
}

// NewFindingsPublisher returns a publisher with the default KeepBody.
func NewFindingsPublisher(client redis.UniversalClient) *FindingsPublisher {
	return &FindingsPublisher{Client: client}
}

func anySuspect(findings []markwatch.Finding) bool {
	for _, f := range findings {
		if f.Verdict.Suspect {
			return true
		}
	}
	return false
}

// NewFindingsBatch builds the batch for a page; keepBody gzips the body into it.
func NewFindingsBatch(page *markwatch.Page, findings []markwatch.Finding, keepBody bool) (FindingsBatch, error) {
	b := FindingsBatch{Findings: findings, Published: time.Now().UTC()}
	if page != nil {
		t := page.Task
		b.Run, b.Sweep, b.Site, b.Task = t.Run, t.Sweep, t.Site, t.ID
		sum := sha256.Sum256(page.Body)
		b.Page = PageMeta{URL: page.URL, FinalURL: page.FinalURL, Status: page.Status, Header: page.Header,
			FetchedAt: page.FetchedAt, Truncated: page.Truncated, Adapter: page.Adapter, Size: len(page.Body), SHA256: hex.EncodeToString(sum[:])}
		if keepBody {
			// A pooled writer (evidence.Gzip): a fresh deflate writer per
			// page allocated about a megabyte and was a tenth of a
			// worker's CPU.
			b.Page.BodyGzip = evidence.Gzip(page.Body)
			b.Page.Screenshot = page.Screenshot
		}
	}
	if b.Run == "" && len(findings) > 0 {
		b.Run, b.Sweep, b.Site = findings[0].Run, findings[0].Sweep, findings[0].Listing.Site
	}
	return b, nil
}

// Put implements pipeline.Sink.
func (p *FindingsPublisher) Put(ctx context.Context, page *markwatch.Page, findings []markwatch.Finding) error {
	keep := p.KeepBody
	if keep == nil {
		keep = anySuspect
	}
	kept := keep(findings)
	b, err := NewFindingsBatch(page, findings, kept)
	if err != nil {
		return fmt.Errorf("queue: publish findings: %w", err)
	}
	if kept && p.Photos != nil {
		b.Photos = p.photosOf(findings, cmp.Or(p.MaxPhotoBytes, DefaultMaxPhotoBytes))
	}
	data, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("queue: publish findings of %s: %w", b.Page.URL, err)
	}
	// Confirmed on replicas (durable.go): the worker acks the page's task
	// once Put returns, so a batch lost in a failover would not be
	// published again.
	err = durably(ctx, p.Client, findingsStream, func(ctx context.Context, c redis.Cmdable) error {
		return c.XAdd(ctx, &redis.XAddArgs{Stream: findingsStream, Values: []string{"b", string(data)}}).Err()
	})
	if err != nil {
		return fmt.Errorf("queue: publish %d findings of %s: %w", len(findings), b.Page.URL, err)
	}
	if len(b.Photos) > 0 {
		hashes := make([]string, len(b.Photos))
		for i, ph := range b.Photos {
			hashes[i] = ph.SHA256
		}
		p.sent.add(hashes)
	}
	return nil
}

// FindingsConsumer reads the findings stream in a consumer group. Use
// ConsumeFindings for the defaults.
type FindingsConsumer struct {
	Client   redis.UniversalClient
	Group    string
	Consumer string
	Handle   func(ctx context.Context, b FindingsBatch) error
	// HandleBatch, when set, stores all the new entries of one read at
	// once (one store transaction instead of one per page); they are then
	// acked together. If it fails, each entry goes through Handle on its
	// own, so that one bad batch is retried and dead-lettered alone.
	HandleBatch func(ctx context.Context, bs []FindingsBatch) error
	// ClaimIdle: entries pending this long with another consumer (it died)
	// are claimed. Default 1m.
	ClaimIdle time.Duration
	// Block is the longest wait for new entries. Default 1s.
	Block time.Duration
	// Count is the most entries read at once. Default 16.
	Count int
	// Linger, with HandleBatch, is how long to wait after a read that
	// brought fewer than Count entries before reading again, so that a
	// steady trickle is stored in fewer, larger transactions: entries wait
	// at most this much longer. Default 0 (read again at once).
	Linger time.Duration
	// MaxDeliveries bounds the retries of a batch that cannot be stored
	// (its page body fails the SHA-256 check, the store keeps refusing it):
	// once an entry has been delivered this many times (the group's
	// delivery count, which survives consumer restarts and claims) and
	// still fails, or is seen delivered more often than this, it is moved
	// to the findings dead-letter stream with its last error and acked.
	// Default 10.
	MaxDeliveries int
	Logger        *slog.Logger
	Metrics       *Metrics
}

// defaultMaxDeliveries is FindingsConsumer.MaxDeliveries' default.
const defaultMaxDeliveries = 10

// ConsumeFindings runs a FindingsConsumer with the defaults until ctx is
// cancelled (then it returns nil).
func ConsumeFindings(ctx context.Context, client redis.UniversalClient, group, consumer string, handle func(context.Context, FindingsBatch) error) error {
	c := &FindingsConsumer{Client: client, Group: group, Consumer: consumer, Handle: handle}
	return c.Run(ctx)
}

// Run consumes until ctx is cancelled. A handler error leaves the entry
// pending: it is retried (by this consumer on its next pass over its own
// pending entries, or by another after ClaimIdle), up to MaxDeliveries
// deliveries. An entry that cannot be decoded, or that was delivered
// MaxDeliveries times without being stored, is moved to the findings
// dead-letter stream mw:{findings}:dead (FindingsDeadLetters lists it), not
// dropped, and counted in markwatch_findings_dead_letters_total.
func (c *FindingsConsumer) Run(ctx context.Context) error {
	if c.ClaimIdle <= 0 {
		c.ClaimIdle = time.Minute
	}
	if c.Block <= 0 {
		c.Block = time.Second
	}
	if c.Count <= 0 {
		c.Count = 16
	}
	if c.MaxDeliveries <= 0 {
		c.MaxDeliveries = defaultMaxDeliveries
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	log := c.Logger.With("loop", "findings", "group", c.Group, "consumer", c.Consumer)
	if err := c.ensureGroup(ctx); err != nil && ctx.Err() == nil {
		log.Warn("create findings group", "err", err)
	}
	var lastPass time.Time
	for ctx.Err() == nil {
		if time.Since(lastPass) >= min(c.ClaimIdle/4, 5*time.Second) {
			lastPass = time.Now()
			if err := c.retryPending(ctx); err != nil && ctx.Err() == nil {
				log.Warn("retry pending findings", "err", err)
			}
		}
		res, err := c.Client.XReadGroup(ctx, &redis.XReadGroupArgs{Group: c.Group, Consumer: c.Consumer,
			Streams: []string{findingsStream, ">"}, Count: int64(c.Count), Block: c.Block}).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if strings.HasPrefix(err.Error(), "NOGROUP") {
				_ = c.ensureGroup(ctx)
				continue
			}
			log.Warn("read findings", "err", err)
			sleepCtx(ctx, time.Second)
			continue
		}
		n := 0
		for _, s := range res {
			n += len(s.Messages)
		}
		for _, s := range res {
			if c.HandleBatch != nil && len(s.Messages) > 1 && c.processAll(ctx, log, s.Messages) {
				continue
			}
			for _, m := range s.Messages {
				c.process(ctx, log, m, 1) // a new entry's first delivery
			}
		}
		if c.HandleBatch != nil && c.Linger > 0 && n < c.Count {
			sleepCtx(ctx, c.Linger)
		}
	}
	return nil
}

func (c *FindingsConsumer) ensureGroup(ctx context.Context) error {
	err := c.Client.XGroupCreateMkStream(ctx, findingsStream, c.Group, "0").Err()
	if err != nil && strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return nil
	}
	return err
}

// retryPending handles this consumer's own pending entries (earlier handler
// failures, or entries read before a restart under the same name) and
// claims others' entries idle for ClaimIdle.
func (c *FindingsConsumer) retryPending(ctx context.Context) error {
	own, err := c.Client.XReadGroup(ctx, &redis.XReadGroupArgs{Group: c.Group, Consumer: c.Consumer,
		Streams: []string{findingsStream, "0"}, Count: int64(c.Count * 4)}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	log := c.Logger.With("loop", "findings", "group", c.Group, "consumer", c.Consumer)
	for _, s := range own {
		counts := c.deliveries(ctx, log, s.Messages)
		for _, m := range s.Messages {
			c.process(ctx, log, m, counts[m.ID])
		}
	}
	start := "0-0"
	for ctx.Err() == nil {
		msgs, next, err := c.Client.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: findingsStream, Group: c.Group,
			Consumer: c.Consumer, MinIdle: c.ClaimIdle, Start: start, Count: int64(c.Count)}).Result()
		if err != nil {
			return err
		}
		counts := c.deliveries(ctx, log, msgs)
		for _, m := range msgs {
			log.Info("claimed stale finding", "entry", m.ID, "deliveries", counts[m.ID])
			c.process(ctx, log, m, counts[m.ID])
		}
		if next == "0-0" || len(msgs) == 0 {
			return nil
		}
		start = next
	}
	return nil
}

// deliveries reads how often each of msgs has been delivered (this
// delivery included) from the group's pending list: one pipelined XPENDING
// per entry, only on the retry pass. An entry whose count cannot be read
// gets 0, which never dead-letters it.
func (c *FindingsConsumer) deliveries(ctx context.Context, log *slog.Logger, msgs []redis.XMessage) map[string]int64 {
	counts := make(map[string]int64, len(msgs))
	if len(msgs) == 0 {
		return counts
	}
	cmds := make([]*redis.XPendingExtCmd, len(msgs))
	_, err := c.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, m := range msgs {
			cmds[i] = p.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: findingsStream, Group: c.Group, Start: m.ID, End: m.ID, Count: 1})
		}
		return nil
	})
	if err != nil {
		log.Warn("read findings delivery counts", "entries", len(msgs), "err", err)
	}
	for _, cmd := range cmds {
		for _, p := range cmd.Val() {
			counts[p.ID] = p.RetryCount
		}
	}
	return counts
}

// process stores one entry; deliveries is how often it has been delivered,
// this time included (0: unknown).
func (c *FindingsConsumer) process(ctx context.Context, log *slog.Logger, m redis.XMessage, deliveries int64) {
	raw, _ := m.Values["b"].(string)
	var b FindingsBatch
	if err := json.Unmarshal([]byte(raw), &b); err != nil || raw == "" {
		if err == nil {
			err = errors.New("no batch field")
		}
		c.deadLetter(ctx, log, m.ID, raw, FindingsBatch{}, deliveries, fmt.Errorf("undecodable: %w", err))
		return
	}
	b.ID = m.ID
	if deliveries > int64(c.MaxDeliveries) {
		// Delivered more often than the budget and still pending: the
		// consumers that took it died or stopped while storing it (a batch
		// that crashes its consumer must not crash every consumer forever).
		c.deadLetter(ctx, log, m.ID, raw, b, deliveries, fmt.Errorf("delivered %d times and never stored (its consumers stopped or died while storing it)", deliveries))
		return
	}
	if err := c.Handle(ctx, b); err != nil {
		if deliveries >= int64(c.MaxDeliveries) {
			c.deadLetter(ctx, log, m.ID, raw, b, deliveries, err)
			return
		}
		log.Warn("store findings failed, will retry", "entry", m.ID, "run", b.Run, "site", b.Site, "task", b.Task,
			"deliveries", deliveries, "max_deliveries", c.MaxDeliveries, "err", err)
		return
	}
	c.ack(ctx, log, m.ID)
	if c.Metrics != nil {
		c.Metrics.FindingsIngested.Add(float64(len(b.Findings)))
	}
}

// processAll stores new entries with HandleBatch and acks them together.
// It reports false, having acked nothing, when any entry cannot be decoded
// or HandleBatch fails: the caller then processes each on its own.
func (c *FindingsConsumer) processAll(ctx context.Context, log *slog.Logger, msgs []redis.XMessage) bool {
	bs := make([]FindingsBatch, len(msgs))
	ids := make([]string, len(msgs))
	findings := 0
	for i, m := range msgs {
		raw, _ := m.Values["b"].(string)
		if raw == "" || json.Unmarshal([]byte(raw), &bs[i]) != nil {
			return false
		}
		bs[i].ID, ids[i] = m.ID, m.ID
		findings += len(bs[i].Findings)
	}
	if err := c.HandleBatch(ctx, bs); err != nil {
		log.Warn("store findings batches together failed, storing each on its own", "entries", len(msgs), "err", err)
		return false
	}
	c.ack(ctx, log, ids...)
	if c.Metrics != nil {
		c.Metrics.FindingsIngested.Add(float64(findings))
	}
	return true
}

// deadLetter moves an entry to the findings dead-letter stream with why it
// could not be stored, and acks it, in one transaction (both keys share the
// {findings} slot): it is never both kept and pending, nor lost.
func (c *FindingsConsumer) deadLetter(ctx context.Context, log *slog.Logger, id, raw string, b FindingsBatch, deliveries int64, cause error) {
	values := []string{"entry", id, "b", raw, "error", cause.Error(), "deliveries", strconv.FormatInt(deliveries, 10),
		"run", b.Run, "site", b.Site, "task", b.Task, "group", c.Group}
	_, err := c.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAdd(ctx, &redis.XAddArgs{Stream: findingsDeadKey, Values: values})
		p.XAck(ctx, findingsStream, c.Group, id)
		p.XDel(ctx, findingsStream, id)
		return nil
	})
	if err != nil {
		log.Error("move findings to the dead-letter stream (they stay pending)", "entry", id, "run", b.Run, "site", b.Site, "task", b.Task, "err", err)
		return
	}
	log.Error("findings dead-lettered: not stored after retries; inspect with `markwatch queue dead --findings`",
		"entry", id, "run", b.Run, "site", b.Site, "task", b.Task, "url", b.Page.URL, "findings", len(b.Findings),
		"deliveries", deliveries, "err", cause)
	if c.Metrics != nil && c.Metrics.FindingsDeadLetters != nil {
		c.Metrics.FindingsDeadLetters.Inc()
	}
}

func (c *FindingsConsumer) ack(ctx context.Context, log *slog.Logger, ids ...string) {
	_, err := c.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, findingsStream, c.Group, ids...)
		p.XDel(ctx, findingsStream, ids...)
		return nil
	})
	if err != nil {
		log.Warn("ack findings (they will be delivered again)", "entries", ids, "err", err)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
