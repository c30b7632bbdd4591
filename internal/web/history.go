package web

// Placeholder: record version history, diffs and restore.
func (s *Server) historyRoutes() []Route { return nil }
