package crawler_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
)

// socks5Server is a minimal loopback SOCKS5 proxy (RFC 1928, CONNECT only,
// with RFC 1929 user/password authentication) that records the targets it
// connected and the credentials it was given.
type socks5Server struct {
	ln         net.Listener
	user, pass string
	mu         sync.Mutex
	targets    []string
	creds      []string
	refused    int
}

func newSOCKS5(t *testing.T, user, pass string) *socks5Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &socks5Server{ln: ln, user: user, pass: pass}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *socks5Server) serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 262)
	// Greeting: VER NMETHODS METHODS…; we require user/password (0x02).
	if _, err := io.ReadFull(c, buf[:2]); err != nil || buf[0] != 5 {
		return
	}
	methods := buf[2 : 2+int(buf[1])]
	if _, err := io.ReadFull(c, methods); err != nil || !bytes.Contains(methods, []byte{2}) {
		c.Write([]byte{5, 0xff})
		return
	}
	c.Write([]byte{5, 2})
	// RFC 1929: VER ULEN UNAME PLEN PASSWD.
	if _, err := io.ReadFull(c, buf[:2]); err != nil || buf[0] != 1 {
		return
	}
	user := make([]byte, buf[1])
	io.ReadFull(c, user)
	io.ReadFull(c, buf[:1])
	pass := make([]byte, buf[0])
	io.ReadFull(c, pass)
	s.mu.Lock()
	s.creds = append(s.creds, string(user)+":"+string(pass))
	ok := string(user) == s.user && string(pass) == s.pass
	if !ok {
		s.refused++
	}
	s.mu.Unlock()
	if !ok {
		c.Write([]byte{1, 1})
		return
	}
	c.Write([]byte{1, 0})
	// Request: VER CMD RSV ATYP DST.ADDR DST.PORT.
	if _, err := io.ReadFull(c, buf[:4]); err != nil || buf[1] != 1 {
		return
	}
	var host string
	switch buf[3] {
	case 1:
		io.ReadFull(c, buf[:4])
		host = net.IP(buf[:4]).String()
	case 3:
		io.ReadFull(c, buf[:1])
		name := make([]byte, buf[0])
		io.ReadFull(c, name)
		host = string(name)
	case 4:
		io.ReadFull(c, buf[:16])
		host = net.IP(buf[:16]).String()
	default:
		return
	}
	io.ReadFull(c, buf[:2])
	target := net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(buf[:2]))))
	up, err := net.Dial("tcp", target)
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	defer up.Close()
	s.mu.Lock()
	s.targets = append(s.targets, target)
	s.mu.Unlock()
	c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	go io.Copy(up, c)
	io.Copy(c, up)
}

func (s *socks5Server) seen() (targets, creds []string, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.targets...), append([]string(nil), s.creds...), s.refused
}

// A socks5:// proxy carries the site's requests (robots.txt too), with its
// credentials given to the proxy and never written to the log; with a
// wrong password the proxy refuses and nothing reaches the site.
func TestSOCKS5ProxyIsUsed(t *testing.T) {
	var mu sync.Mutex
	var direct int
	target := oneListingServer(t, func(*http.Request) {
		mu.Lock()
		direct++
		mu.Unlock()
	})
	socks := newSOCKS5(t, "scout", "HUNTER2-SOCKS")
	adapter := func(pass string) *crawler.Site {
		site, err := crawler.ParseSite("s.yaml", []byte(`
name: s
base_url: `+target.URL+`
rate: {requests_per_second: 1000, burst: 100}
proxies:
  urls: ["socks5://scout:`+pass+`@`+socks.ln.Addr().String()+`"]
search: {url: "/s?q={query}", max_pages: 1}
listing: {item: li, fields: {id: {attr: data-id}, title: {selector: b}}}
`))
		if err != nil {
			t.Fatal(err)
		}
		return site
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	site := adapter("HUNTER2-SOCKS")
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{"s": site}, crawler.WithConcurrency(1), crawler.WithLogger(logger))
	for i := range 3 {
		ex, err := c.Crawl(context.Background(), site.SearchTask("r", fmt.Sprint("q", i), 1))
		if err != nil || len(ex.Listings) != 1 {
			t.Fatalf("crawl %d through SOCKS5: %v", i, err)
		}
	}
	targets, creds, _ := socks.seen()
	host := strings.TrimPrefix(target.URL, "http://")
	mu.Lock()
	got := direct
	mu.Unlock()
	// Keep-alive may reuse one tunnel for several requests: at least one
	// tunnel, every one to the site, and the site saw all four requests.
	if len(targets) == 0 || got != 4 {
		t.Fatalf("tunnels %v, the site got %d requests; want robots.txt and 3 pages through the proxy", targets, got)
	}
	for _, tg := range targets {
		if tg != host {
			t.Fatalf("the proxy connected %s, want %s", tg, host)
		}
	}
	if creds[0] != "scout:HUNTER2-SOCKS" {
		t.Fatalf("the proxy got credentials %q", creds[0])
	}

	// The wrong password: the proxy refuses, the site sees nothing.
	mu.Lock()
	direct = 0
	mu.Unlock()
	bad := adapter("WRONG-SECRET")
	c2 := crawler.New(config.Crawl{}, map[string]*crawler.Site{"s": bad}, crawler.WithConcurrency(1), crawler.WithLogger(logger))
	if _, err := c2.Crawl(context.Background(), bad.SearchTask("r", "q", 1)); err == nil {
		t.Fatal("a crawl through a SOCKS5 proxy that refused the credentials succeeded")
	}
	mu.Lock()
	got = direct
	mu.Unlock()
	if _, _, refused := socks.seen(); refused == 0 || got != 0 {
		t.Fatalf("proxy refused %d times, the site got %d requests: want refused and none", refused, got)
	}
	if strings.Contains(logs.String(), "HUNTER2") || strings.Contains(logs.String(), "WRONG-SECRET") {
		t.Fatalf("proxy credentials in the log:\n%s", logs.String())
	}
}

// Chromium speaks no SOCKS5 authentication: a browser adapter with a
// SOCKS5 proxy with credentials is refused, naming the field and not
// echoing the password; an HTTP proxy with credentials is accepted
// (Chromium answers its challenges: TestBrowserPageProxyCredentials).
func TestBrowserAdapterRefusesProxyCredentials(t *testing.T) {
	_, err := crawler.ParseSite("b.yaml", []byte(`
name: b
base_url: http://127.0.0.1:1
fetch: browser
proxies: {urls: ["socks5://scout:HUNTER2@127.0.0.1:1080"]}
search: {url: "/s?q={query}"}
listing: {item: li, fields: {id: {attr: data-id}, title: {}}}
`))
	if err == nil || !strings.Contains(err.Error(), "proxies.urls[0]") || strings.Contains(err.Error(), "HUNTER2") {
		t.Fatalf("browser adapter with proxy credentials: %v", err)
	}
	if _, err := crawler.ParseSite("b.yaml", []byte(`
name: b
base_url: http://127.0.0.1:1
fetch: browser
proxies: {urls: ["http://scout:HUNTER2@127.0.0.1:3128"]}
search: {url: "/s?q={query}"}
listing: {item: li, fields: {id: {attr: data-id}, title: {}}}
`)); err != nil {
		t.Fatalf("browser adapter with an HTTP proxy with credentials: %v", err)
	}
}
