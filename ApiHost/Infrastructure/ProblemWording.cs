namespace OrleansSessions.ApiHost.Infrastructure;

/// <summary>
/// Our words for the problems the framework answers on its own (no route, wrong method, a media type the route does
/// not accept): every problem document says what went wrong, in the same voice as the API's own.
/// </summary>
internal static class ProblemWording
{
    public static void Complete(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Detail is not null)
        {
            return;
        }

        problem.Detail = problem.Status switch
        {
            StatusCodes.Status404NotFound => "No resource of this API has this path.",
            StatusCodes.Status405MethodNotAllowed => "This path does not take this method.",
            StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON in UTF-8 of a media type this route accepts.",
            StatusCodes.Status400BadRequest => "The request is malformed.",
            _ => null,
        };
    }
}
