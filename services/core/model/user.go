package model

// User is a person or a machine account of the server (Drone's core.User).
// Tokens are never kept in the clear: TokenHash finds the user of an API
// token, the sealed fields hold values encrypted under the database key.
type User struct {
	ID        int64
	Login     string
	Email     string
	Avatar    string
	SCM       string // "github", "gitlab" or "" for accounts made by an admin
	Admin     bool
	Machine   bool
	Active    bool
	TokenHash string
	// TokenSealed is the API token sealed under the database key, "" when
	// no key is configured (the token is then shown only when created).
	TokenSealed string
	// SCMTokenSealed and SCMRefreshSealed are the user's OAuth tokens on
	// the SCM, sealed; SCMExpiry is when the access token expires (0: never).
	SCMTokenSealed   string
	SCMRefreshSealed string
	SCMExpiry        int64
	Synced           int64
	LastLogin        int64
	Created          int64
	Updated          int64
}

// Perm is what a user may do in one repository, as the SCM said at Synced.
type Perm struct {
	UserID int64
	RepoID int64
	Pull   bool
	Push   bool
	Admin  bool
	Synced int64
}
