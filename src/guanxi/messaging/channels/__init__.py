"""The channels, behind one contract (:mod:`guanxi.messaging.channels.base`)."""
