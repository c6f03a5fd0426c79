"""Errors a client of the store sees, with MLflow's error codes and HTTP statuses."""

from compat import TrackstoreError

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
INVALID_STATE = "INVALID_STATE"
BAD_REQUEST = "BAD_REQUEST"
INTERNAL_ERROR = "INTERNAL_ERROR"
TEMPORARILY_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"

HTTP_STATUS = {
    INVALID_PARAMETER_VALUE: 400,
    RESOURCE_ALREADY_EXISTS: 400,
    BAD_REQUEST: 400,
    INVALID_STATE: 500,
    RESOURCE_DOES_NOT_EXIST: 404,
    INTERNAL_ERROR: 500,
    TEMPORARILY_UNAVAILABLE: 503,
    NOT_IMPLEMENTED: 501,
}


class StoreError(TrackstoreError):
    """A refused store operation, carrying the MLflow error code a REST client expects."""

    def __init__(self, message: str, error_code: str = INVALID_PARAMETER_VALUE) -> None:
        super().__init__(message)
        self.error_code = error_code

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.error_code, 500)

    def to_json(self) -> dict[str, str]:
        return {"error_code": self.error_code, "message": str(self)}


def not_found(message: str) -> StoreError:
    return StoreError(message, RESOURCE_DOES_NOT_EXIST)


def already_exists(message: str) -> StoreError:
    return StoreError(message, RESOURCE_ALREADY_EXISTS)
