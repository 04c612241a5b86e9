package auth

import (
	"testing"

	"github.com/hangar-ci/hangar/services/core/model"
)

func TestLevel(t *testing.T) {
	t.Parallel()
	private := &model.Repo{Private: true, Visibility: "private"}
	internal := &model.Repo{Private: true, Visibility: "internal"}
	public := &model.Repo{Visibility: "public"}
	user, admin := &model.User{ID: 1, Active: true}, &model.User{ID: 2, Admin: true}
	pull, push, adm := &model.Perm{Pull: true}, &model.Perm{Pull: true, Push: true}, &model.Perm{Pull: true, Push: true, Admin: true}
	tests := []struct {
		name string
		u    *model.User
		repo *model.Repo
		perm *model.Perm
		want Access
	}{
		{"anonymous private", nil, private, nil, None},
		{"anonymous internal", nil, internal, nil, None},
		{"anonymous public", nil, public, nil, Read},
		{"anonymous ignores a perm", nil, private, adm, None},
		{"user without perm private", user, private, nil, None},
		{"user internal", user, internal, nil, Read},
		{"pull", user, private, pull, Read},
		{"push", user, private, push, Write},
		{"admin perm", user, private, adm, Admin},
		{"empty perm public", user, public, &model.Perm{}, Read},
		{"system admin", admin, private, nil, Admin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Level(tt.u, tt.repo, tt.perm); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseSeed(t *testing.T) {
	t.Parallel()
	got, err := ParseSeed("username:ci,admin:true,machine:true,token:0123456789abcdef0123")
	if err != nil || got != (Seed{"ci", true, true, "0123456789abcdef0123"}) {
		t.Errorf("got %+v, %v", got, err)
	}
	for _, bad := range []string{"", "admin:true", "username:x,admin:yes", "username:x,colour:red", "username:x,token:short", "username"} {
		if _, err := ParseSeed(bad); err == nil {
			t.Errorf("%q: got no error", bad)
		}
	}
}
