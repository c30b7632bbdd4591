package web

// Placeholder: two-factor authentication, sessions and login protection.
func (s *Server) securityRoutes() []Route { return nil }
