#!/bin/bash
# after-remove of the kiosk package (electron-builder deb.afterRemove; template-expanded). It
# replaces electron-builder's templates/linux/after-remove.tpl, so its steps come first; then the
# files after-install.sh copied outside dpkg's knowledge go, except on upgrade. A purge also
# removes the data dir and the master key, as the server package's postrm does.

if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --remove '${executable}' '/opt/${sanitizedProductName}/${executable}'
else
    rm -f '/usr/bin/${executable}'
fi

APPARMOR_PROFILE_DEST='/etc/apparmor.d/${executable}'
if [ -f "$APPARMOR_PROFILE_DEST" ]; then
  if apparmor_status --enabled > /dev/null 2>&1; then
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --remove "$APPARMOR_PROFILE_DEST" || true
    fi
  fi
  rm -f "$APPARMOR_PROFILE_DEST"
fi

case "$1" in
  remove | purge)
    rm -f /usr/bin/verikiosk /usr/lib/udev/rules.d/70-verikiosk.rules \
      /usr/lib/systemd/system/verikiosk.service /usr/lib/systemd/system/verikiosk-kiosk.service
    if command -v udevadm >/dev/null 2>&1 && [ -d /run/udev ]; then
      udevadm control --reload-rules || true
    fi
    if [ -d /run/systemd/system ]; then
      systemctl daemon-reload || true
    fi
    ;;
esac
if [ "$1" = purge ]; then
  rm -rf /var/lib/verikiosk /etc/verikiosk
fi
