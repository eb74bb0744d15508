"""The state box of a tender's analysis: en attente (position), en cours (step, progress bar), terminée, échouée.

The state is read from the database (procure.service.jobs), so F5, another tab or another browser show the
same box. While the analysis is queued or running the box refreshes itself every POLL_SECONDS (a fragment),
and reruns the whole page once the analysis has ended, so that the page shows the new analysis.
"""
from __future__ import annotations

import streamlit as st

from procure.service.workspace import AccessDenied, UserInfo, Workspace
from ui.common import local_datetime, plain

POLL_SECONDS = 1.5


def show_analysis_state(ws: Workspace, user: UserInfo, tender_id: int, *, live: bool = True) -> str:
    """Render the analysis state of a tender; return its code: queued, running, done, failed, or none."""
    ws.start_analysis_dispatcher()  # once per process: it also starts the jobs queued before a restart
    try:
        state = ws.analysis_state(user, tender_id)
    except AccessDenied as denied:
        st.error(str(denied))
        return "none"
    if state.active and live:
        _live_box(ws, user, tender_id)
    else:
        _render(state)
    return state.state or "none"


@st.fragment(run_every=POLL_SECONDS)
def _live_box(ws: Workspace, user: UserInfo, tender_id: int) -> None:
    state = ws.analysis_state(user, tender_id)
    _render(state)
    if not state.active:
        st.rerun(scope="app")  # the analysis has ended: the page is drawn again with it


def _render(state) -> None:
    since = f" (depuis le {local_datetime(state.since)})" if state.since else ""
    if state.state == "queued":
        ahead = (state.position or 1) - 1
        waiting = ("elle démarre dès qu'un programme de lecture se libère" if ahead == 0
                   else f"{ahead} analyse(s) à faire avant elle")
        st.info(f"Analyse en attente : position {state.position or 1} dans la file ({waiting}){since}. "
                "Vous pouvez quitter la page ou la recharger : l'analyse se poursuit.", icon=":material/hourglass_top:")
    elif state.state == "running":
        st.info(f"Analyse en cours{since}. Vous pouvez quitter la page ou la recharger : l'analyse se poursuit.",
                icon=":material/sync:")
        st.progress(min(max(float(state.fraction or 0.0), 0.0), 1.0), text=plain(state.step or "Analyse en cours…"))
    elif state.state == "done":
        when = f" le {local_datetime(state.since)}" if state.since else ""
        if state.error:
            reservations = "  \n".join(f"• {plain(line)}" for line in state.error.splitlines() if line.strip())
            st.warning(f"Analyse terminée{when}, avec des réserves :  \n{reservations}", icon=":material/report:")
        else:
            st.caption(f":material/task_alt: Analyse terminée{when}.")  # quiet: the page below is the analysis
    elif state.state == "failed":
        when = f" le {local_datetime(state.since)}" if state.since else ""
        st.error(f"Analyse échouée{when} : {plain(state.error or 'raison inconnue')}  \n"
                 "Les pièces déposées sont conservées, ainsi que l'analyse précédente s'il y en a une.",
                 icon=":material/error:")
