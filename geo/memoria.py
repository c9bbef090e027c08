"""Memoria del proceso y caché de disco, para que un trabajo grande pida menos páginas nuevas.

En una máquina virtual, cada página de memoria que el sistema entrega por primera vez (o que
ya devolvió al anfitrión) se pone en cero a un costo alto: ~2,7 s de CPU por GB en la de
desarrollo. Con un millón de predios eso pesa tanto como el cálculo mismo. Aquí:

- :func:`ajustar_malloc`: una sola arena de malloc, bloques grandes del montón en vez de
  ``mmap`` y sin devolver al sistema lo que se libera: lo que un hilo libera lo reusa
  cualquier otro, sin pedir páginas nuevas;
- :func:`reservar`: en otro hilo, mientras se lee la capa de predios (un solo núcleo
  trabaja), toca de antemano la memoria que el cálculo va a pedir después;
- :func:`devolver_memoria_libre`: antes de una escritura grande, la memoria libre del montón
  vuelve al sistema, que la da a la caché del archivo que se escribe o a un proceso nuevo;
- :func:`soltar_cache`: la caché de un archivo que se va a reemplazar queda libre para el
  nuevo;
- :func:`bajando_a_disco`: lo que se va escribiendo en un archivo grande baja al disco
  mientras se escribe el resto, y no todo junto al final.

Fuera de Linux con glibc no hacen nada.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import sys
import threading

_M_TRIM_THRESHOLD = -1  # parámetros de mallopt (malloc.h de glibc)
_M_MMAP_MAX = -4
_M_ARENA_MAX = -8
_MADV_HUGEPAGE = 14  # madvise de Linux
_PAGINA_GRANDE = 2 << 20  # páginas grandes transparentes de x86-64 y arm64 (bytes)

_ajustado = False  # ajustar_malloc() ya se aplicó en este proceso


@functools.cache
def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def ajustar_malloc() -> None:
    """Ajusta malloc de glibc para un trabajo grande con hilos; llamarla antes de lanzarlos.

    En esta máquina virtual, el costo de las páginas nuevas se vio así (1M predios, por
    proceso; ``catastro derivar`` escribe además ~0,75 GB de archivo, que son páginas de
    caché): con el malloc de siempre, ~9–12 GB de páginas pedidas al sistema para un pico de
    ~3 GB; con los tres ajustes de abajo, ~6 GB.

    - **Una sola arena** (``M_ARENA_MAX = 1``). glibc da a cada hilo que reserva memoria su
      propia arena, de montones de 64 MB: un bloque más grande lo pide con ``mmap`` aunque
      se prohíba, y lo devuelve al liberarlo; un montón que queda vacío también se devuelve.
      Con una arena todos los hilos usan el montón principal y se reparten lo que liberan.
      (Antes de los otros dos ajustes, una arena hacía que los hilos se estorbaran; con
      ellos, el tiempo de usuario es el mismo.) Es también lo que deja a :func:`reservar`
      tocar memoria que después usan los demás hilos.
    - **Sin** ``mmap`` para los bloques grandes (``M_MMAP_MAX = 0``): glibc pide con
      ``mmap`` cada bloque de más de 32 MB (casi todos los arreglos de numpy con un millón de
      filas) y lo devuelve al liberarlo, así que el siguiente arreglo vuelve a pedir páginas
      nuevas. Desde el montón, el bloque liberado se reusa.
    - **Sin recortar el montón** al liberar (``M_TRIM_THRESHOLD`` al máximo): glibc devuelve
      al sistema la cima del montón en cuanto queda libre más de 128 kB, y el arreglo
      siguiente la vuelve a pedir (con un millón de predios, un hilo de linderos lo hacía
      ~40 veces con 30 MB). La memoria libre vuelve al sistema solo cuando se pide con
      :func:`devolver_memoria_libre`, y al salir.

    - **Arrow también usa este malloc** (``ARROW_DEFAULT_MEMORY_POOL=system``, si no se
      fijó otro): pyarrow trae su propio asignador (mimalloc), que pide sus bloques con
      ``mmap`` y devuelve lo que se libera; las tablas Arrow de leer y escribir capas (cientos
      de MB con un millón de predios) volvían a pedir páginas nuevas. El proceso que escribe
      ``frentes`` hereda la variable. Medido con 1M predios: ~0,9 GB menos de páginas nuevas
      por corrida y ~0,2 GB menos de pico.

    En otros sistemas no hace nada.
    """
    global _ajustado
    libc = _libc()
    if libc is None or not hasattr(libc, "mallopt"):
        return
    libc.mallopt(_M_ARENA_MAX, 1)
    libc.mallopt(_M_MMAP_MAX, 0)
    libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
    _arrow_con_malloc()
    _ajustado = True


def _arrow_con_malloc() -> None:
    """Que pyarrow reserve con malloc (el del sistema) en vez de su propio asignador, en este
    proceso y en los que lance; respeta un ``ARROW_DEFAULT_MEMORY_POOL`` fijado por quien
    corre el programa."""
    if os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system") != "system":
        return
    pa = sys.modules.get("pyarrow")  # ya importado: la variable se leyó al importarlo
    if pa is not None:
        pa.set_memory_pool(pa.system_memory_pool())


def _disponible() -> int | None:
    """Memoria disponible del sistema (bytes, ``MemAvailable`` de Linux), o ``None``."""
    try:
        with open("/proc/meminfo") as f:
            for linea in f:
                if linea.startswith("MemAvailable:"):
                    return int(linea.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def reservar(n_bytes: int) -> threading.Thread | None:
    """Toca de antemano, en otro hilo, ``n_bytes`` del montón y los deja libres para reusar.

    Pide el bloque a malloc, lo marca para páginas grandes transparentes, lo escribe (el
    sistema entrega y pone en cero sus páginas) y lo libera: con :func:`ajustar_malloc`, el
    bloque queda en el montón y los arreglos de después lo reusan sin pedir páginas nuevas.
    Sirve mientras el proceso trabaja en un solo núcleo (leer la capa de predios): el costo
    de las páginas lo paga el núcleo libre. Como mucho, un cuarto de la memoria disponible.

    Solo actúa después de :func:`ajustar_malloc` (sin él, glibc devolvería el bloque al
    sistema al liberarlo). Devuelve el hilo (ya lanzado) o ``None`` si no hace nada.
    """
    libc = _libc()
    disponible = _disponible()
    if not _ajustado or libc is None or disponible is None:
        return None
    n = min(int(n_bytes), disponible // 4)
    if n < 4 * _PAGINA_GRANDE:
        return None
    libc.malloc.restype = ctypes.c_void_p  # una dirección de 64 bits, no un int de C

    def tocar():
        bloque = libc.malloc(ctypes.c_size_t(n))
        if not bloque:
            return
        try:
            alineado = -(-bloque // _PAGINA_GRANDE) * _PAGINA_GRANDE
            libc.madvise(ctypes.c_void_p(alineado),
                         ctypes.c_size_t((bloque + n - alineado) // _PAGINA_GRANDE
                                         * _PAGINA_GRANDE), _MADV_HUGEPAGE)
            libc.memset(ctypes.c_void_p(bloque), 0, ctypes.c_size_t(n))  # suelta el GIL
        finally:
            libc.free(ctypes.c_void_p(bloque))

    hilo = threading.Thread(target=tocar, name="reservar-memoria", daemon=True)
    hilo.start()
    return hilo


@functools.cache
def _malloc_trim():
    libc = _libc()
    return getattr(libc, "malloc_trim", None)  # otra libc (musl) o sin ella: no hace falta


def devolver_memoria_libre() -> None:
    """``malloc_trim(0)`` de glibc: devuelve al sistema la memoria libre del montón (no toca
    la que está en uso). En otros sistemas no hace nada. Tarda ~0,02 s con 1 GB libre."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def soltar_cache(ruta) -> None:
    """Saca de la caché de disco las páginas de ``ruta`` (si existe), que se va a reemplazar:
    el archivo queda igual en el disco, y esas páginas quedan libres para el archivo nuevo que
    se está escribiendo (en una máquina virtual, más baratas que páginas nunca usadas)."""
    if not hasattr(os, "posix_fadvise"):
        return
    try:
        fd = os.open(ruta, os.O_RDONLY)
    except OSError:  # no existe todavía, o no se puede leer: nada que soltar
        return
    try:
        with contextlib.suppress(OSError):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


@contextlib.contextmanager
def bajando_a_disco(ruta, cada_s: float = 0.5):
    """Mientras dura el bloque, otro proceso (:mod:`geo._bajar_a_disco`) manda al disco cada
    ``cada_s`` segundos lo ya escrito en ``ruta``, sin esperar a que termine.

    Para escrituras grandes en un temporal de :func:`geo.capas.archivo_atomico`: su ``fsync``
    final espera entonces solo lo último. Con un millón de predios (0,75 GB de GeoPackage en
    un disco de ~300 MB/s) ese ``fsync`` tardaba ~1,5 s, casi todo esperando al disco y no a
    la CPU, así que bajarlo mientras GDAL escribe no quita tiempo al cálculo. Al salir del
    bloque el proceso termina (se cierra su entrada) y se lo espera. Fuera de Linux no hace
    nada.
    """
    if not sys.platform.startswith("linux"):
        yield
        return
    import subprocess

    try:
        proc = subprocess.Popen([sys.executable, "-m", "geo._bajar_a_disco", os.fspath(ruta),
                                 str(cada_s)], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:  # sin poder lanzar el proceso, el fsync del final lo hace todo
        yield
        return
    try:
        yield
    finally:
        proc.stdin.close()  # fin de su entrada: termina en seguida
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # un sync_file_range trabado no debe colgarnos
            proc.kill()
            proc.wait()
