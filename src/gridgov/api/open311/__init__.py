"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): the city's services
(the minor case classes) and service requests (the cases reported by the public), so that
third-party apps can list, report and follow problems. A request posted here is an
ordinary case. See docs/api.md §6."""
