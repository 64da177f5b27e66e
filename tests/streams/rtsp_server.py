"""A tiny RTSP server on Debian's GStreamer (gst-rtsp-server), run by the SYSTEM python3 (python3-gi):

    /usr/bin/python3 rtsp_server.py RTSP_PORT UDP_PORT [USER PASSWORD]

It relays the MPEG-TS that ffmpeg publishes to udp://127.0.0.1:UDP_PORT as H.264 + AAC over RTP at
rtsp://127.0.0.1:RTSP_PORT/live (Basic auth when USER and PASSWORD are given), like an IP camera.
Prints "ready" once listening.
"""

import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer

PIPELINE = (
    '( udpsrc port={udp} buffer-size=4194304 caps="video/mpegts,systemstream=(boolean)true,packetsize=(int)188" '
    "! tsdemux name=d "
    "d. ! queue ! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=-1 "
    "d. ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97 )"
)


def main() -> None:
    port, udp = int(sys.argv[1]), int(sys.argv[2])
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(PIPELINE.format(udp=udp))
    factory.set_shared(True)
    factory.set_stop_on_disconnect(False)
    if len(sys.argv) >= 5:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(sys.argv[3], sys.argv[4]), token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_role("user")
        permissions.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        permissions.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(permissions)
    server.get_mount_points().add_factory("/live", factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on port {port}")
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
