"""The portal's routers, one per area; ``gnbv.portal.app.create_app`` mounts them."""
