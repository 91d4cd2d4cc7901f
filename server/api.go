package server

// registerAPI registers the sessions, memory and observability routes.
func (s *Server) registerAPI() {}
