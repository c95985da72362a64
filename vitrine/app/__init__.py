"""The application layer: one public function per operation a shop performs — fit, recommend for
a shopper or a session, similar items, search, record an event, generate, design, launch,
previews, try-on — over one `AppContext` (the store, the settings, the models loaded on first use).

Each function checks its inputs and raises the domain errors of `vitrine.errors`; it never
knows who called it. The callers are thin: the CLI verbs (each package's cli.py), the API's
routers (vitrine.service), the storefront's pages, the job worker and the demo. The CLI turns an
error into one line and exit status 2, the API into a status code.
"""
