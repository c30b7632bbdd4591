package web

// Placeholder: evidence files.
func (s *Server) evidenceRoutes() []Route { return nil }
