package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Event is what a rule produced.
type Event struct {
	Key   string            `json:"key"` // unique per event
	Kind  string            `json:"kind"`
	Title string            `json:"title"`
	Text  string            `json:"text"`
	URL   string            `json:"url,omitempty"`
	At    time.Time         `json:"at"`
	Data  map[string]string `json:"data,omitempty"`
}

// sender delivers one event to one channel.
type sender struct {
	ch     Channel
	client *http.Client
	now    func() time.Time
}

func (s *sender) send(ctx context.Context, e Event) error {
	switch s.ch.Type {
	case "webhook":
		return s.post(ctx, s.ch.URL, e, checkStatus)
	case "dingtalk":
		u := s.ch.URL
		if s.ch.Secret != "" {
			ts := strconv.FormatInt(s.now().UnixMilli(), 10)
			u = addQuery(u, "timestamp", ts, "sign", DingTalkSign(ts, s.ch.Secret))
		}
		msg := map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": e.Title, "text": markdown(e)}}
		return s.post(ctx, u, msg, checkErrcode)
	case "wecom":
		msg := map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": markdown(e)}}
		return s.post(ctx, s.ch.URL, msg, checkErrcode)
	case "feishu":
		msg := map[string]any{"msg_type": "text", "content": map[string]string{"text": e.Title + "\n" + e.Text + link(e)}}
		if s.ch.Secret != "" {
			ts := strconv.FormatInt(s.now().Unix(), 10)
			msg["timestamp"], msg["sign"] = ts, FeishuSign(ts, s.ch.Secret)
		}
		return s.post(ctx, s.ch.URL, msg, checkErrcode)
	case "smtp":
		return s.mail(ctx, e)
	}
	return fmt.Errorf("unknown channel type %q", s.ch.Type)
}

// DingTalkSign is a DingTalk robot's signature: base64 of HMAC-SHA256
// keyed by the secret over "timestamp\nsecret" (timestamp in ms).
func DingTalkSign(timestamp, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// FeishuSign is a Feishu robot's signature: base64 of HMAC-SHA256 keyed by
// "timestamp\nsecret" over nothing (timestamp in seconds).
func FeishuSign(timestamp, secret string) string {
	mac := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func addQuery(u string, kv ...string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := parsed.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	parsed.RawQuery = q.Encode()
	return parsed.String()
}

func link(e Event) string {
	if e.URL == "" {
		return ""
	}
	return "\n" + e.URL
}

func markdown(e Event) string {
	s := "### " + e.Title + "\n\n" + e.Text
	if e.URL != "" {
		s += "\n\n[" + e.URL + "](" + e.URL + ")"
	}
	return s
}

func (s *sender) post(ctx context.Context, u string, body any, check func(*http.Response, []byte) error) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := s.client.Do(req)
	if err != nil {
		return redactErr(err, u)
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return check(resp, reply)
}

// redactErr keeps robot keys and signatures (in the URL) out of errors.
func redactErr(err error, u string) error {
	msg := err.Error()
	if parsed, perr := url.Parse(u); perr == nil {
		msg = strings.ReplaceAll(msg, u, parsed.Scheme+"://"+parsed.Host+parsed.Path)
	}
	return fmt.Errorf("%s", msg)
}

func checkStatus(resp *http.Response, _ []byte) error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// checkErrcode accepts the robots' success replies: HTTP 200 with errcode
// 0 (DingTalk, WeCom) or code 0 (Feishu).
func checkErrcode(resp *http.Response, body []byte) error {
	if err := checkStatus(resp, body); err != nil {
		return err
	}
	var r struct {
		Errcode *int   `json:"errcode"`
		Errmsg  string `json:"errmsg"`
		Code    *int   `json:"code"`
		Msg     string `json:"msg"`
	}
	if json.Unmarshal(body, &r) != nil {
		return fmt.Errorf("robot reply is not JSON")
	}
	switch {
	case r.Errcode != nil && *r.Errcode != 0:
		return fmt.Errorf("robot errcode %d: %s", *r.Errcode, r.Errmsg)
	case r.Code != nil && *r.Code != 0:
		return fmt.Errorf("robot code %d: %s", *r.Code, r.Msg)
	}
	return nil
}

// mail sends the event over SMTP (net/smtp) with a deadline on the whole
// conversation, so a server that never answers costs one timeout.
func (s *sender) mail(ctx context.Context, e Event) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = s.now().Add(10 * time.Second)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.ch.Addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	host, _, _ := net.SplitHostPort(s.ch.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(nil); err != nil {
			return err
		}
	}
	if s.ch.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.ch.Username, s.ch.Password, host)); err != nil {
			return err
		}
	}
	if err := c.Mail(s.ch.From); err != nil {
		return err
	}
	for _, to := range s.ch.To {
		if err := c.Rcpt(to); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: =?UTF-8?B?%s?=\r\nMessage-ID: <%s@markwatch>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
		s.ch.From, strings.Join(s.ch.To, ", "), base64.StdEncoding.EncodeToString([]byte(e.Title)), messageID(e.Key))
	body := base64.StdEncoding.EncodeToString([]byte(e.Text + link(e) + "\n"))
	for len(body) > 76 {
		msg.WriteString(body[:76] + "\r\n")
		body = body[76:]
	}
	msg.WriteString(body + "\r\n")
	if _, err := w.Write(msg.Bytes()); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func messageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return fmt.Sprintf("%x", sum[:12])
}
