package steady

import "net/http"

// HTTPStatus is the status Steady's API answers an error of code c with.
func (c Code) HTTPStatus() int {
	switch c {
	case NotFound:
		return http.StatusNotFound
	case Invalid:
		return http.StatusBadRequest
	case Unauthorized:
		return http.StatusUnauthorized
	case Forbidden:
		return http.StatusForbidden
	case Conflict:
		return http.StatusConflict
	case RateLimited:
		return http.StatusTooManyRequests
	case Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// CodeOfStatus is the code of an error Steady's API answered with status:
// HTTPStatus the other way, taking in the statuses net/http and proxies
// answer with themselves (405, 413, 502, 504).
func CodeOfStatus(status int) Code {
	switch status {
	case http.StatusNotFound:
		return NotFound
	case http.StatusBadRequest, http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge:
		return Invalid
	case http.StatusUnauthorized:
		return Unauthorized
	case http.StatusForbidden:
		return Forbidden
	case http.StatusConflict:
		return Conflict
	case http.StatusTooManyRequests:
		return RateLimited
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return Unavailable
	}
	return Internal
}
