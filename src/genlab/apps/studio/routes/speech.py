"""Speech: POST /api/speak has a text-to-speech run say a text, answered as a WAV and its mel spectrogram."""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

from fastapi import APIRouter

from genlab.apps.studio.requests import SpeakRequest
from genlab.apps.studio.state import StudioDep, data_url

router = APIRouter()


@router.post("/api/speak")
def speak(request: SpeakRequest, studio: StudioDep) -> dict:
    """A text-to-speech run says the text (through its named vocoder, else Griffin-Lim): the WAV as a data URL,
    its length and the real-time factor, and the first sentence's mel spectrogram as a picture."""
    from genlab.apps.speak import speak as say
    from genlab.media.audio import mel_picture

    opened, lock = studio.opened(request.run)
    with lock, tempfile.TemporaryDirectory(dir=studio.scratch.name) as folder:
        spoken = say(opened, [request.text], Path(folder) / "said.wav", speed=request.speed)
        audio = data_url(spoken.written[0])
    picture = mel_picture([("said", spoken.first_mel)])
    return {"audio": audio, "seconds": spoken.seconds, "real_time_factor": spoken.real_time_factor,
            "vocoder": spoken.vocoder, "mel": "data:image/png;base64," + base64.b64encode(picture).decode()}
