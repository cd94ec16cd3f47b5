#!/bin/bash
# after-install of the kiosk package (electron-builder deb.afterInstall; template-expanded:
# ${executable}, ${sanitizedProductName}). A custom afterInstall replaces electron-builder's own
# templates/linux/after-install.tpl, so its steps are repeated first (from app-builder-lib
# 26.18.1), then verikiosk's: the user and group, the udev rules, the systemd units.

# --- electron-builder's after-install.tpl --------------------------------------------------------
if type update-alternatives >/dev/null 2>&1; then
    # Remove previous link if it doesn't use update-alternatives
    if [ -L '/usr/bin/${executable}' -a -e '/usr/bin/${executable}' -a "`readlink '/usr/bin/${executable}'`" != '/etc/alternatives/${executable}' ]; then
        rm -f '/usr/bin/${executable}'
    fi
    update-alternatives --install '/usr/bin/${executable}' '${executable}' '/opt/${sanitizedProductName}/${executable}' 100 || ln -sf '/opt/${sanitizedProductName}/${executable}' '/usr/bin/${executable}'
else
    ln -sf '/opt/${sanitizedProductName}/${executable}' '/usr/bin/${executable}'
fi

# Check if user namespaces are supported by the kernel and working with a quick test:
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; }; then
    # Use SUID chrome-sandbox only on systems without user namespaces:
    chmod 4755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
else
    chmod 0755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
fi

if hash update-mime-database 2>/dev/null; then
    update-mime-database /usr/share/mime || true
fi

if hash update-desktop-database 2>/dev/null; then
    update-desktop-database /usr/share/applications || true
fi

if apparmor_status --enabled > /dev/null 2>&1; then
  APPARMOR_PROFILE_SOURCE='/opt/${sanitizedProductName}/resources/apparmor-profile'
  APPARMOR_PROFILE_TARGET='/etc/apparmor.d/${executable}'
  if apparmor_parser --skip-kernel-load --debug "$APPARMOR_PROFILE_SOURCE" > /dev/null 2>&1; then
    cp -f "$APPARMOR_PROFILE_SOURCE" "$APPARMOR_PROFILE_TARGET"
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --replace --write-cache --skip-read-cache "$APPARMOR_PROFILE_TARGET"
    fi
  else
    echo "Skipping the installation of the AppArmor profile as this version of AppArmor does not seem to support the bundled profile"
  fi
fi

# --- verikiosk ----------------------------------------------------------------------------------
APP='/opt/${sanitizedProductName}'

getent group verikiosk >/dev/null || groupadd --system verikiosk
if ! getent passwd verikiosk >/dev/null; then
    useradd --system --gid verikiosk --home-dir /var/lib/verikiosk --no-create-home \
        --shell /usr/sbin/nologin --comment "verikiosk appliance" verikiosk
fi
install -d -o verikiosk -g verikiosk -m 0700 /var/lib/verikiosk
install -d -o root -g root -m 0700 /etc/verikiosk

# The CLI for admins, on the system's Node (as in the server package).
printf '#!/bin/sh\nexec /usr/bin/node %s/resources/app/bin/verikiosk.js "$@"\n' "$APP" > /usr/bin/verikiosk
chmod 0755 /usr/bin/verikiosk

install -m 0644 "$APP/udev/70-verikiosk.rules" /usr/lib/udev/rules.d/70-verikiosk.rules
if command -v udevadm >/dev/null 2>&1 && [ -d /run/udev ]; then
    udevadm control --reload-rules || true
    udevadm trigger --action=add --subsystem-match=hidraw --subsystem-match=tty || true
fi

install -m 0644 "$APP/systemd/verikiosk.service" /usr/lib/systemd/system/verikiosk.service
install -m 0644 "$APP/systemd/verikiosk-kiosk.service" /usr/lib/systemd/system/verikiosk-kiosk.service
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi

# An upgrade (dpkg configure with the old version in $2): running services restart on the new
# code, which migrates the schema at its first start, after the preinst's backup.
if [ "$1" = configure ] && [ -n "$2" ] && [ -d /run/systemd/system ]; then
    systemctl try-restart verikiosk-kiosk.service verikiosk.service || true
fi
