package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Notification is one event for one channel in the notification outbox.
type Notification struct {
	ID          int64     `json:"id"`
	Channel     string    `json:"channel"`
	Key         string    `json:"key"` // unique per channel: a repeat is dropped
	Kind        string    `json:"kind"`
	Payload     string    `json:"payload"` // the event as JSON
	CreatedAt   time.Time `json:"created_at"`
	Attempts    int       `json:"attempts"`
	NextAt      time.Time `json:"next_at"`
	State       string    `json:"state"` // pending, delivered, failed
	LastError   string    `json:"last_error,omitempty"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
}

const notificationColumns = `id, channel, event_key, kind, payload, created_at, attempts, next_at, state, last_error, coalesce(delivered_at, 0)`

func scanNotification(sc interface{ Scan(...any) error }) (Notification, error) {
	var n Notification
	var created, next, delivered int64
	err := sc.Scan(&n.ID, &n.Channel, &n.Key, &n.Kind, &n.Payload, &created, &n.Attempts, &next, &n.State, &n.LastError, &delivered)
	n.CreatedAt, n.NextAt, n.DeliveredAt = fromMS(created), fromMS(next), fromMS(delivered)
	return n, err
}

// EnqueueNotifications adds notifications to the outbox, due now, in one
// transaction; one whose (channel, key) is already there is dropped. It
// returns how many were added.
func (s *Store) EnqueueNotifications(ctx context.Context, ns []Notification) (int, error) {
	if len(ns) == 0 {
		return 0, nil
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: enqueue notifications: %w", err)
	}
	defer tx.Rollback()
	now := s.now().UnixMilli()
	added := 0
	for _, n := range ns {
		res, err := tx.ExecContext(ctx, `INSERT INTO notify_outbox (channel, event_key, kind, payload, created_at, next_at)
			VALUES (?,?,?,?,?,?) ON CONFLICT (channel, event_key) DO NOTHING`, n.Channel, n.Key, n.Kind, n.Payload, now, now)
		if err != nil {
			return 0, fmt.Errorf("store: enqueue notifications: %w", err)
		}
		k, _ := res.RowsAffected()
		added += int(k)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: enqueue notifications: %w", err)
	}
	return added, nil
}

// DueNotifications lists up to limit pending notifications due at now,
// oldest first: for one channel, or for all when channel is empty.
func (s *Store) DueNotifications(ctx context.Context, channel string, now time.Time, limit int) ([]Notification, error) {
	rows, err := s.write.QueryContext(ctx, `SELECT `+notificationColumns+` FROM notify_outbox
		WHERE state = 'pending' AND next_at <= ? AND (? = '' OR channel = ?) ORDER BY next_at, id LIMIT ?`,
		now.UnixMilli(), channel, channel, limit)
	if err != nil {
		return nil, fmt.Errorf("store: due notifications: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, fmt.Errorf("store: due notifications: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// FailOrphanNotifications gives up every pending notification whose
// channel is not among known (a channel removed from the config), with
// that reason in its log row. It returns how many.
func (s *Store) FailOrphanNotifications(ctx context.Context, known []string) (int, error) {
	q, args := `UPDATE notify_outbox SET state = 'failed', attempts = attempts + 1, next_at = 0,
		last_error = 'no channel named ' || quote(channel) || ' in the config' WHERE state = 'pending'`, []any{}
	if len(known) > 0 {
		q += ` AND channel NOT IN (?` + strings.Repeat(`,?`, len(known)-1) + `)`
		for _, k := range known {
			args = append(args, k)
		}
	}
	res, err := s.write.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("store: fail orphan notifications: %w", err)
	}
	k, _ := res.RowsAffected()
	return int(k), nil
}

// NextNotificationAt is when the earliest pending notification is due
// (zero: none pending).
func (s *Store) NextNotificationAt(ctx context.Context) (time.Time, error) {
	var next int64
	err := s.write.QueryRowContext(ctx, `SELECT coalesce(min(next_at), 0) FROM notify_outbox WHERE state = 'pending'`).Scan(&next)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: next notification: %w", err)
	}
	return fromMS(next), nil
}

// NotificationDelivered records a delivery.
func (s *Store) NotificationDelivered(ctx context.Context, id int64, at time.Time) error {
	_, err := s.write.ExecContext(ctx, `UPDATE notify_outbox SET state = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = ''
		WHERE id = ?`, at.UnixMilli(), id)
	if err != nil {
		return fmt.Errorf("store: notification %d delivered: %w", id, err)
	}
	return nil
}

// NotificationFailed records a failed attempt: retried at next, or given up
// (state failed) when next is zero.
func (s *Store) NotificationFailed(ctx context.Context, id int64, next time.Time, msg string) error {
	state, nextMS := "pending", next.UnixMilli()
	if next.IsZero() {
		state, nextMS = "failed", 0
	}
	_, err := s.write.ExecContext(ctx, `UPDATE notify_outbox SET state = ?, attempts = attempts + 1, next_at = ?, last_error = ?
		WHERE id = ?`, state, nextMS, clip(msg, 1000), id)
	if err != nil {
		return fmt.Errorf("store: notification %d failed: %w", id, err)
	}
	return nil
}

// Notifications lists the outbox, newest first (the delivery log).
func (s *Store) Notifications(ctx context.Context, limit int) ([]Notification, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+notificationColumns+` FROM notify_outbox ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: notifications: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, fmt.Errorf("store: notifications: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ListingStatus is the review status of the listing (site, listingID).
func (s *Store) ListingStatus(ctx context.Context, site, listingID string) (Status, error) {
	var st string
	err := s.read.QueryRowContext(ctx, `SELECT status FROM listings WHERE site = ? AND listing_id = ?`, site, listingID).Scan(&st)
	if err != nil {
		return "", fmt.Errorf("store: listing %s/%s: %w", site, listingID, err)
	}
	return Status(st), nil
}
