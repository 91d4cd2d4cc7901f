package server

// register lists every route: the account routes (auth.go) and the API
// (api.go), the pages (pages.go).
func (s *Server) register() {
	s.registerAuth()
	s.registerAPI()
	s.registerPages()
	s.registerMCP()
	s.registerSocket()
}
