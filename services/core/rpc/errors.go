package rpc

import (
	"errors"

	"github.com/hangar-ci/hangar/services/core/logs"
	"github.com/hangar-ci/hangar/shared/httperr"
)

func logError(err error) error {
	if errors.Is(err, logs.ErrInvalid) {
		return httperr.Wrap(httperr.Invalid, err, "%v", err)
	}
	return storeError(err, "log")
}
