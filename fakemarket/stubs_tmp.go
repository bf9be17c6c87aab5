package fakemarket

import "net/http"

func (s *Server) gbk(r *http.Request, layout int) *response { return notFound(SiteGBK) }
func (s *Server) api(r *http.Request, layout int) *response { return notFound(SiteAPI) }
