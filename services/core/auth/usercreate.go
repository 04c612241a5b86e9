package auth

import (
	"fmt"
	"strconv"
	"strings"
)

// Seed is a user to create at start (DRONE_USER_CREATE).
type Seed struct {
	Login   string
	Admin   bool
	Machine bool
	Token   string
}

// ParseSeed reads Drone's DRONE_USER_CREATE value:
// username:octocat,admin:true,machine:true,token:… (every key but username
// optional).
func ParseSeed(v string) (Seed, error) {
	var s Seed
	for i, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			// Not quoted: the part may be a mistyped token.
			return Seed{}, fmt.Errorf("item %d is not key:value", i+1)
		}
		var err error
		switch k {
		case "username":
			s.Login = val
		case "admin":
			s.Admin, err = strconv.ParseBool(val)
		case "machine":
			s.Machine, err = strconv.ParseBool(val)
		case "token":
			s.Token = val
		default:
			return Seed{}, fmt.Errorf("unknown key %q (username, admin, machine, token)", k)
		}
		if err != nil {
			return Seed{}, fmt.Errorf("%s: %q is not true or false", k, val)
		}
	}
	if s.Login == "" {
		return Seed{}, fmt.Errorf("username is required")
	}
	if s.Token != "" && len(s.Token) < 16 {
		return Seed{}, fmt.Errorf("token must be at least 16 characters")
	}
	return s, nil
}
